"""Integer and raw codecs: exact bytes, ranges, and errors that name the bad value."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pybpfmaps
from pybpfmaps import CodecError, CodecTypeError, raw, u32, u128
from pybpfmaps.codecs.ints import IntCodec

INT_CODECS = [
    (pybpfmaps.u8, "=B"),
    (pybpfmaps.u16, "=H"),
    (pybpfmaps.u32, "=I"),
    (pybpfmaps.u64, "=Q"),
    (pybpfmaps.i8, "=b"),
    (pybpfmaps.i16, "=h"),
    (pybpfmaps.i32, "=i"),
    (pybpfmaps.i64, "=q"),
    (pybpfmaps.be16, ">H"),
    (pybpfmaps.be32, ">I"),
    (pybpfmaps.be64, ">Q"),
]


@pytest.mark.parametrize(("codec", "fmt"), INT_CODECS, ids=[c.name for c, _ in INT_CODECS])
def test_int_codec_bounds_and_bytes(codec: IntCodec, fmt: str) -> None:
    assert codec.size == struct.calcsize(fmt)
    for value in (codec.minimum, codec.maximum, 0 if codec.minimum == 0 else -1):
        assert codec.pack(value) == struct.pack(fmt, value)
        assert codec.unpack(codec.pack(value)) == value
    with pytest.raises(CodecError, match=rf"{codec.name} cannot encode {codec.maximum + 1}: out of range"):
        codec.pack(codec.maximum + 1)
    with pytest.raises(CodecError, match="out of range"):
        codec.pack(codec.minimum - 1)


def test_network_byte_order() -> None:
    assert pybpfmaps.be16.pack(0x1234) == b"\x12\x34"
    assert pybpfmaps.be32.pack(0x0A000001) == b"\x0a\x00\x00\x01"


def test_bools_count_as_ints_as_they_do_for_dict_keys() -> None:
    assert pybpfmaps.u32.pack(True) == pybpfmaps.u32.pack(1)
    assert pybpfmaps.u8.pack_many([False, True]) == b"\x00\x01"


@pytest.mark.parametrize("bad", ["5", 5.0, None, b"\x05\x00\x00\x00"])
def test_int_codec_rejects_non_ints_with_type_error(bad: object) -> None:
    with pytest.raises(CodecTypeError, match=r"u32 cannot encode .* expected an int"):
        pybpfmaps.u32.pack(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pybpfmaps.u32.pack_many([1, 2, bad])  # type: ignore[list-item]


@given(st.lists(st.integers(0, 2**32 - 1), max_size=50))
def test_pack_many_is_the_concatenation_of_pack(values: list[int]) -> None:
    buffer = pybpfmaps.u32.pack_many(values)
    assert buffer == b"".join(pybpfmaps.u32.pack(v) for v in values)
    assert pybpfmaps.u32.unpack_many(buffer, len(values)) == values


def test_pack_many_names_the_bad_item_and_accepts_generators() -> None:
    assert pybpfmaps.u16.pack_many(i for i in range(3)) == struct.pack("=3H", 0, 1, 2)
    with pytest.raises(CodecError, match="u16 cannot encode 65536"):
        pybpfmaps.u16.pack_many([1, 65536, 3])


def test_raw_codec() -> None:
    codec = raw(4)
    assert repr(codec) == "raw(4)"
    assert codec.pack(b"abcd") == b"abcd"
    assert codec.pack(bytearray(b"abcd")) == b"abcd"
    assert codec.pack(memoryview(b"abcd")) == b"abcd"
    assert codec.unpack_many(b"abcdefgh", 2) == [b"abcd", b"efgh"]
    with pytest.raises(CodecError, match="3 bytes, expected 4"):
        codec.pack(b"abc")
    with pytest.raises(CodecTypeError, match="encode it first"):
        codec.pack("abcd")  # type: ignore[arg-type]
    with pytest.raises(CodecError, match="positive int"):
        raw(0)


def test_codec_reprs_are_their_names() -> None:
    assert [repr(c) for c, _ in INT_CODECS] == [
        "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "be16", "be32", "be64"
    ]  # fmt: skip


def test_an_index_that_raises_is_a_codec_error_not_a_leak() -> None:
    class Broken:
        def __index__(self) -> int:
            raise ValueError("no index today")

    for codec in (u32, u128):
        with pytest.raises(CodecTypeError, match=r"its __index__ raised ValueError\('no index today'\)"):
            codec.pack(Broken())  # type: ignore[arg-type]
        with pytest.raises(CodecTypeError):
            codec.pack_many([1, Broken()])  # type: ignore[list-item]
    with pytest.raises(CodecError, match=r"cannot encode 1000000000\d+\.\.\.0+ \(301 characters\)") as info:
        u32.pack(10**300)
    assert len(str(info.value)) < 200  # a huge number is shortened in the message


@pytest.mark.parametrize(
    ("codec", "value", "message"),
    [
        (pybpfmaps.ipv4, "::1", "an IPv6 address, and ipv4 holds IPv4 only: a map of IPv6 keys or values uses ipv6"),
        (
            pybpfmaps.ipv6,
            "10.0.0.1",
            "an IPv4 address, and ipv6 holds IPv6 only: a map of IPv4 keys or values uses ipv4",
        ),
        (pybpfmaps.lpm_ipv6, "10.0.0.0/8", "an IPv4 network, and lpm_ipv6 holds IPv6 only: a map of IPv4 keys"),
        (pybpfmaps.ipv4, "300.1.1.1", "Octet 300 (> 255) not permitted"),  # no other family: ipaddress says why
    ],
)
def test_an_address_of_the_other_ip_version_says_which_codec_takes_it(codec: Any, value: str, message: str) -> None:
    with pytest.raises(CodecError) as raised:
        codec.pack(value)
    assert message in str(raised.value)
