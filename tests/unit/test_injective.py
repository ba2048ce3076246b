"""No decode merges keys: every codec pybpfmaps makes decodes distinct bytes to distinct values,
which encode back to the very same bytes (a map's keys stay apart in a dict, and write back as they were)."""

from __future__ import annotations

import enum
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpfmaps import Codec, array, be16, boolean, i8, i128, int_enum, ipv4, ipv6, mac, raw, spin_lock, string, u32
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import Decoder


class Color(enum.IntEnum):
    RED = 1


def btf_codecs() -> list[Codec[Any]]:
    """Structs with padding, bitfields and a union, and a char array, typed from BTF."""
    types = {
        1: btf.BtfType(btf.INT, "unsigned int", size=4, bits=32),
        2: btf.BtfType(btf.INT, "char", size=1, bits=8, signed=True, encoding=btf.INT_SIGNED),
        3: btf.BtfType(btf.ARRAY, ref=2, index=1, nelems=6),
        4: btf.BtfType(btf.UNION, "", size=4, members=(btf.Member("a", 1, 0), btf.Member("b", 2, 0))),
        5: btf.BtfType(
            btf.STRUCT,
            "key",
            size=16,
            kind_flag=True,
            members=(
                btf.Member("flags", 1, 0, 3),
                btf.Member("name", 3, 8),
                btf.Member("either", 4, 96),
            ),
        ),
    }
    decoder = Decoder(types)
    return [decoder.codec(3), decoder.codec(5)]


CODECS: list[Codec[Any]] = [
    u32, i8, be16, i128, boolean, string(6), raw(3), ipv4, ipv6, mac, int_enum(Color), array(boolean, 2),
    spin_lock, *btf_codecs(),
]  # fmt: skip


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CODECS), st.data())
def test_distinct_bytes_decode_to_distinct_values_that_encode_back(codec: Codec[Any], data: st.DataObject) -> None:
    first = data.draw(st.binary(min_size=codec.size, max_size=codec.size))
    one_byte_apart = st.builds(  # the cases a lossy decode merges
        lambda i, b: first[:i] + bytes([b]) + first[i + 1 :], st.integers(0, codec.size - 1), st.integers(0, 255)
    )
    second = data.draw(st.one_of(st.binary(min_size=codec.size, max_size=codec.size), one_byte_apart))
    decoded = codec.unpack(first), codec.unpack(second)
    assert codec.pack(decoded[0]) == first
    assert (decoded[0] == decoded[1]) == (first == second), (first, second, decoded)
    if first != second:
        assert len({decoded[0], decoded[1]}) == 2  # apart as dict keys too (equal hashes would not do)
