"""Codecs' ``unpack_column``: numbers as ``array.array``s in host order, structs as dicts of columns,
each element what ``unpack_many`` decodes."""

from __future__ import annotations

import array
import ipaddress
import struct

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpfmaps import be16, be32, f32, f64, field, i16, i64, ipv4, ipv6, string, u8, u32, u64, u128
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.structs import codec_for
from tests.support.columns import as_cell, cell, same


@attrs.frozen
class Inner:
    low: int = field(u8)
    port: int = field(be16)


@attrs.frozen
class Row:
    address: ipaddress.IPv4Address = field(ipv4)
    inner: Inner = field(Inner)
    name: str = field(string(5))
    weight: float = field(f64)
    count: int = field(i64)


@pytest.mark.parametrize(
    ("codec", "typecode"),
    [(u8, "B"), (i16, "h"), (u32, "I"), (u64, "L"), (i64, "l"), (be16, "H"), (be32, "I"), (f32, "f"), (f64, "d")],
)
@given(data=st.binary(max_size=64))
def test_numbers_are_arrays_of_what_unpack_many_reads(codec: Codec[int], typecode: str, data: bytes) -> None:
    count = len(data) // codec.size
    column = codec.unpack_column(data, count)
    assert type(column) is array.array
    assert column.typecode == typecode
    assert len(column) == count
    assert all(map(same, column, codec.unpack_many(data, count)))


def test_big_endian_integers_and_addresses_are_numbers_in_host_order() -> None:
    data = struct.pack(">2H", 80, 443)
    assert list(be16.unpack_column(data, 2)) == [80, 443]
    assert list(ipv4.unpack_column(ipaddress.IPv4Address("10.0.0.1").packed, 1)) == [0x0A000001]
    addresses = [ipaddress.IPv6Address("::1"), ipaddress.IPv6Address("fe80::2")]
    assert ipv6.unpack_column(b"".join(a.packed for a in addresses), 2) == addresses
    assert u128.unpack_column((5).to_bytes(16, "little"), 1) == [5]


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 255), st.integers(0, 65535),
                          st.text("abc", max_size=5), st.floats(allow_nan=True), st.integers(-(2**63), 2**63 - 1)),
                max_size=20))  # fmt: skip
def test_struct_columns_hold_every_field_of_every_row(rows: list[tuple[int, int, int, str, float, int]]) -> None:
    codec = codec_for(Row)
    values = [Row(ipaddress.IPv4Address(a), Inner(low, port), name, weight, count)
              for a, low, port, name, weight, count in rows]  # fmt: skip
    packed = codec.pack_many(values)
    columns = codec.unpack_column(packed, len(values))
    assert list(columns) == ["address", "inner", "name", "weight", "count"]
    assert list(columns["inner"]) == ["low", "port"]
    assert type(columns["inner"]["port"]) is array.array
    for index, value in enumerate(codec.unpack_many(packed, len(values))):
        assert same(cell(columns, index), as_cell(value, codec))
