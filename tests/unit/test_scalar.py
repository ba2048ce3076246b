"""bool, char[N] strings, addresses, enums and arrays: exact bytes, round trips and clear errors."""

from __future__ import annotations

import enum
import ipaddress
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpfmaps import (
    Codec,
    CodecError,
    CodecTypeError,
    array,
    be16,
    boolean,
    int_enum,
    ipv4,
    ipv6,
    mac,
    raw,
    string,
    u8,
    u16,
    u32,
)


class Proto(enum.IntEnum):
    TCP = 6
    UDP = 17


def test_boolean() -> None:
    assert (boolean.size, boolean.align) == (1, 1)
    assert boolean.pack(True) == b"\x01"
    assert boolean.pack(False) == b"\x00"
    assert boolean.pack(1) == b"\x01"
    assert boolean.unpack(b"\x01") is True
    assert boolean.unpack(b"\x02") == 2  # a C program may store any byte: it reads as that int...
    assert boolean.pack(2) == b"\x02"  # ... and is written back unchanged
    assert boolean.unpack(b"\x00") is False
    for bad in (256, -1, "yes", None, 1.0):
        with pytest.raises(CodecTypeError, match=r"boolean cannot encode .* expected True or False"):
            boolean.pack(bad)  # type: ignore[arg-type]


def test_string_is_nul_padded_utf8() -> None:
    comm = string(16)
    assert comm.size == 16
    assert comm.pack("bash") == b"bash" + bytes(12)
    assert comm.pack("x" * 16) == b"x" * 16
    assert comm.unpack(b"bash" + bytes(12)) == "bash"
    assert comm.unpack(b"bash\x00junk after nul") == b"bash\x00junk after nul"  # not text: every byte kept
    assert comm.unpack(b"\x00\x00hello" + bytes(9)) == b"\x00\x00hello" + bytes(9)
    assert comm.pack(b"\x00\x00hello") == b"\x00\x00hello" + bytes(9)  # bytes are written NUL-padded
    assert comm.unpack(b"x" * 16) == "x" * 16
    assert string(4).pack("\u00e9\u00e9") == "\u00e9\u00e9".encode()
    with pytest.raises(
        CodecError, match=r"string\(4\) cannot encode 'caf\u00e9!': it is 6 bytes in UTF-8, more than 4"
    ):
        string(4).pack("caf\u00e9!")
    with pytest.raises(CodecError, match="contains a NUL"):
        comm.pack("a\0b")
    with pytest.raises(CodecTypeError, match="expected a str"):
        comm.pack(5)  # type: ignore[arg-type]
    with pytest.raises(CodecError, match="17 bytes, more than 16"):
        comm.pack(bytes(17))
    assert string(4).unpack(b"\xff\xfe\x00\x00") == "\udcff\udcfe"  # not UTF-8: kept, as os.fsdecode does
    assert string(4).pack(string(4).unpack(b"\xff\xfe\x00\x00")) == b"\xff\xfe\x00\x00"  # written back unchanged
    with pytest.raises(CodecError, match="surrogates not allowed"):
        string(4).pack("\ud800")


@given(st.text(max_size=8).filter(lambda s: "\0" not in s and len(s.encode()) <= 32))
def test_string_round_trip(text: str) -> None:
    assert string(32).unpack(string(32).pack(text)) == text


def test_ipv4_and_ipv6() -> None:
    assert (ipv4.size, ipv4.align, ipv6.size, ipv6.align) == (4, 4, 16, 4)
    assert ipv4.pack("10.0.0.1") == b"\x0a\x00\x00\x01"
    assert ipv4.pack(ipaddress.IPv4Address("192.168.1.2")) == bytes([192, 168, 1, 2])
    assert ipv4.pack(b"\x7f\x00\x00\x01") == b"\x7f\x00\x00\x01"
    assert ipv4.unpack(b"\x0a\x00\x00\x01") == ipaddress.IPv4Address("10.0.0.1")
    assert ipv6.pack("::1") == bytes(15) + b"\x01"
    assert ipv6.unpack(bytes(15) + b"\x01") == ipaddress.IPv6Address("::1")
    with pytest.raises(CodecError, match=r"ipv4 cannot encode '10.0.0.256'"):
        ipv4.pack("10.0.0.256")
    with pytest.raises(CodecError, match="ipv4 cannot encode '::1'"):
        ipv4.pack("::1")
    with pytest.raises(CodecTypeError, match=r"ipv6 cannot encode 1.5"):
        ipv6.pack(1.5)  # type: ignore[arg-type]


def test_mac() -> None:
    assert mac.pack("AA:bb:cc:dd:ee:0f") == bytes.fromhex("aabbccddee0f")
    assert mac.pack("aa-bb-cc-dd-ee-0f") == bytes.fromhex("aabbccddee0f")
    assert mac.pack("aabbccddee0f") == bytes.fromhex("aabbccddee0f")
    assert mac.pack(bytes(6)) == bytes(6)
    assert mac.unpack(bytes.fromhex("aabbccddee0f")) == "aa:bb:cc:dd:ee:0f"
    for bad in ("aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff", "gg:bb:cc:dd:ee:ff", bytes(5)):
        with pytest.raises(CodecError, match="mac cannot encode"):
            mac.pack(bad)
    with pytest.raises(CodecTypeError):
        mac.pack(5)  # type: ignore[arg-type]


def test_int_enum() -> None:
    proto = int_enum(Proto, u8)
    assert (proto.size, proto.align) == (1, 1)
    assert proto.pack(Proto.UDP) == b"\x11"
    assert proto.pack(6) == b"\x06"
    assert proto.unpack(b"\x06") is Proto.TCP
    assert proto.unpack(b"\x63") == 99  # not a member: decodes as a plain int, and can be written back
    assert proto.pack(99) == b"\x63"
    with pytest.raises(
        CodecError, match=r"int_enum\(Proto, u8\) cannot encode 256: expected a member or its name \(TCP, UDP"
    ):
        proto.pack(256)
    assert proto.pack("TCP") == b"\x06"  # type: ignore[arg-type]  # a member's name
    with pytest.raises(CodecError):
        proto.pack("tcp")  # type: ignore[arg-type]
    assert int_enum(Proto).size == 4
    with pytest.raises(CodecTypeError):
        int_enum(int)  # type: ignore[type-var]


def test_arrays() -> None:
    four = array(u16, 4)
    assert (four.size, four.align) == (8, 2)
    assert four.pack([1, 2, 3, 4]) == struct.pack("=4H", 1, 2, 3, 4)
    assert four.unpack(struct.pack("=4H", 1, 2, 3, 4)) == (1, 2, 3, 4)
    ports = array(be16, 2)
    assert ports.pack((80, 443)) == b"\x00\x50\x01\xbb"
    assert ports.unpack(b"\x00\x50\x01\xbb") == (80, 443)
    addresses = array(ipv4, 2)
    assert addresses.unpack(addresses.pack(["10.0.0.1", "10.0.0.2"]))[1] == ipaddress.IPv4Address("10.0.0.2")
    with pytest.raises(CodecError, match=r"array\(u16, 4\) cannot encode \[1, 2\]: 2 elements, expected 4"):
        four.pack([1, 2])
    with pytest.raises(CodecError, match=r"array\(u16, 4\): u16 cannot encode 70000"):
        four.pack([1, 2, 3, 70000])
    with pytest.raises(CodecTypeError, match="expected a sequence"):
        four.pack("abcd")
    nested = array(array(u8, 2), 2)
    assert nested.pack([[1, 2], [3, 4]]) == b"\x01\x02\x03\x04"
    assert nested.unpack(b"\x01\x02\x03\x04") == ((1, 2), (3, 4))


@pytest.mark.parametrize("make", [string, raw])
@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_sizes_must_be_positive_ints(make: object, size: object) -> None:
    with pytest.raises(CodecError, match="positive int"):
        make(size)  # type: ignore[operator]


@pytest.mark.parametrize("length", [-1, 1.5, True])
def test_array_lengths_must_be_ints_from_zero(length: object) -> None:
    with pytest.raises(CodecError, match="int length >= 0"):
        array(u32, length)  # type: ignore[arg-type]


def test_zero_length_arrays_are_flexible_array_members() -> None:
    empty = array(u32, 0)
    assert (empty.size, empty.align, empty.pack(()), empty.unpack(b"")) == (0, 4, b"", ())


def test_bulk_encoders_agree_with_single_ones_and_refuse_the_same_values() -> None:
    cases: list[tuple[Codec[Any], list[Any], list[Any]]] = [
        (string(6), ["a", "\u00e9t\u00e9", "", "sixsix"], ["a", "seven77"]),
        (boolean, [True, False, 1, 0, 2], [True, 256]),
        (ipv4, ["10.0.0.1", ipaddress.IPv4Address("1.2.3.4")], ["10.0.0.1", "nope"]),
        (ipv6, [ipaddress.IPv6Address("::1"), "fe80::1"], ["::1", "1.2.3.4"]),
        (raw(3), [b"abc", bytearray(b"xyz"), memoryview(b"123")], [b"abc", b"ab"]),
        (mac, ["aa:bb:cc:dd:ee:ff", bytes(6)], ["aa:bb:cc:dd:ee:ff", "zz"]),
    ]
    for codec, good, bad in cases:
        packed = codec.pack_many(good)
        assert packed == b"".join(codec.pack(v) for v in good), codec
        assert codec.unpack_many(packed, len(good)) == [codec.unpack(codec.pack(v)) for v in good], codec
        with pytest.raises(CodecError):
            codec.pack_many(bad)
