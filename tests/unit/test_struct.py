"""attrs layouts as codecs: plain values, field helpers, errors that name class, field and value."""

from __future__ import annotations

import ipaddress
import struct

import attrs
import pytest

import pybpfmaps
from pybpfmaps import (
    CodecError,
    CodecTypeError,
    StructCodec,
    codec_for,
    field,
    mac,
    spin_lock,
    string,
    u8,
    u16,
    u32,
    u64,
)
from tests.support.layouts import Flow, Proto


@attrs.frozen
class Stats:
    packets: int = u64()
    bytes: int = u64()
    last_seen: int = u32()
    ifname: str = field(string(8))
    flow: Flow = field(Flow)


FLOW = Flow("10.0.0.1", "10.0.0.2", 1234, 80, Proto.TCP)  # type: ignore[arg-type]


def test_a_five_tuple_key_is_laid_out_as_in_c() -> None:
    codec = codec_for(Flow)
    assert isinstance(codec, StructCodec)
    assert (codec.size, codec.align) == (16, 4)
    assert [(f.name, f.offset, f.size) for f in codec.fields] == [
        ("saddr", 0, 4), ("daddr", 4, 4), ("sport", 8, 2), ("dport", 10, 2), ("proto", 12, 1)
    ]  # fmt: skip
    assert codec.pack(FLOW) == bytes([10, 0, 0, 1, 10, 0, 0, 2, 0x04, 0xD2, 0, 80, 6, 0, 0, 0])
    assert codec.unpack(codec.pack(FLOW)) == FLOW
    assert repr(codec) == "Flow"


def test_field_helpers_convert_to_canonical_types() -> None:
    assert FLOW.saddr == ipaddress.IPv4Address("10.0.0.1")
    assert Flow(ipaddress.IPv4Address("10.0.0.1"), "10.0.0.2", 1234, 80, 6) == FLOW  # type: ignore[arg-type]
    assert hash(FLOW) == hash(codec_for(Flow).unpack(codec_for(Flow).pack(FLOW)))

    @attrs.frozen
    class Port:
        hw: str = mac()

    assert Port("AA-BB-CC-DD-EE-FF").hw == "aa:bb:cc:dd:ee:ff"


def test_nested_struct_value() -> None:
    codec = codec_for(Stats)
    assert (codec.size, codec.align) == (48, 8)
    assert [f.offset for f in codec.fields] == [0, 8, 16, 20, 28]
    value = Stats(1, 1500, 7, "eth0", FLOW)
    data = codec.pack(value)
    assert data[:28] == struct.pack("=QQI8s", 1, 1500, 7, b"eth0")
    assert data[28:44] == codec_for(Flow).pack(FLOW)
    assert data[44:] == bytes(4)  # tail padding is zero
    assert codec.unpack(data) == value


def test_plain_tuples_and_dicts_are_accepted() -> None:
    codec = codec_for(Flow)
    assert codec.pack(("10.0.0.1", "10.0.0.2", 1234, 80, 6)) == codec.pack(FLOW)
    assert codec.pack({"saddr": "10.0.0.1", "daddr": "10.0.0.2", "sport": 1234, "dport": 80, "proto": 6}) == (
        codec.pack(FLOW)
    )
    with pytest.raises(CodecTypeError, match=r"Flow cannot be built from \(1, 2\)"):
        codec.pack((1, 2))
    with pytest.raises(CodecTypeError, match="expected a Flow, a tuple of its 5 field values, or a dict"):
        codec.pack(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            attrs.evolve(FLOW, sport=70000),
            CodecError,
            r"Flow\.sport: be16 cannot encode 70000: out of range 0\.\.65535",
        ),
        (
            attrs.evolve(FLOW, sport="80"),  # type: ignore[arg-type]
            CodecTypeError,
            r"Flow\.sport: be16 cannot encode '80' \(str\)",
        ),
        (
            attrs.evolve(FLOW, proto=300),  # type: ignore[arg-type]
            CodecError,
            r"Flow\.proto: int_enum\(Proto, u8\) cannot encode 300",
        ),
    ],
)
def test_errors_name_class_field_and_value(value: Flow, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        codec_for(Flow).pack(value)


def test_errors_in_nested_structs_name_the_path() -> None:
    bad = Stats(1, 2, 3, "a-very-long-name", FLOW)
    with pytest.raises(CodecError, match=r"Stats\.ifname: string\(8\) cannot encode 'a-very-long-name'"):
        codec_for(Stats).pack(bad)
    nested_bad = Stats(1, 2, 3, "eth0", attrs.evolve(FLOW, dport=-1))
    with pytest.raises(CodecError, match=r"Stats\.flow: Flow\.dport: be16 cannot encode -1"):
        codec_for(Stats).pack(nested_bad)


def test_explicit_padding_is_zero_and_not_an_argument() -> None:
    @attrs.frozen
    class Padded:
        kind: int = u8(pad_after=5)  # like a C "__u8 _reserved[5];" after kind
        value: int = u16(pad_after=2)

    codec = codec_for(Padded)
    assert [(f.name, f.offset) for f in codec.fields] == [("kind", 0), ("value", 6)]
    assert codec.size == 10
    assert codec.pack(Padded(1, 2)) == b"\x01" + bytes(5) + struct.pack("=H", 2) + bytes(2)
    assert codec.unpack(b"\x01" + b"\xff" * 5 + struct.pack("=H", 2) + b"\xff\xff") == Padded(1, 2)
    assert Padded(1, 2) == Padded(1, 2)
    with pytest.raises(CodecError, match="pad_after must be an int >= 0"):
        u8(pad_after=-1)


def test_packed_layout() -> None:
    @attrs.frozen
    class Header:
        kind: int = u8()
        length: int = u32()
        port: int = u16()

    assert codec_for(Header).size == 12
    packed = codec_for(Header, packed=True)
    assert (packed.size, packed.align) == (7, 1)
    assert packed.pack(Header(1, 2, 3)) == b"\x01" + struct.pack("=IH", 2, 3)
    assert repr(packed) == "Header(packed)"
    assert codec_for(Header, packed=True) is packed
    assert codec_for(Header) is codec_for(Header)
    with pytest.raises(CodecTypeError, match="packed=True applies to attrs classes"):
        codec_for(u32, packed=True)


def test_kw_only_and_private_fields() -> None:
    @attrs.frozen
    class Odd:
        _secret: int = u32()
        visible: int = u16(kw_only=True)

    codec = codec_for(Odd)
    value = Odd(5, visible=6)
    assert codec.unpack(codec.pack(value)) == value


def test_layouts_must_be_fully_typed_attrs_classes() -> None:
    @attrs.frozen
    class Untyped:
        a: int = u32()
        b: int = 0

    with pytest.raises(CodecTypeError, match=r"Untyped\.b has no C type: declare it with a pybpfmaps field helper"):
        codec_for(Untyped)

    @attrs.frozen
    class Empty:
        pass

    with pytest.raises(CodecTypeError, match="Empty has no fields"):
        codec_for(Empty)
    with pytest.raises(CodecTypeError, match="is not a codec or an attrs class"):
        codec_for(int)


def test_mutable_classes_are_not_hashable_keys() -> None:
    @attrs.define
    class Mutable:
        a: int = u32()

    assert not pybpfmaps.StructCodec(Mutable).hashable
    assert pybpfmaps.StructCodec(Flow).hashable


def test_field_defaults_and_options_pass_through_to_attrs() -> None:
    @attrs.frozen
    class WithDefaults:
        a: int = field(u32, default=7)
        b: int = field(u16, default=9)

    assert WithDefaults() == WithDefaults(7, 9)
    assert codec_for(WithDefaults).pack(WithDefaults()) == struct.pack("=IH", 7, 9) + bytes(2)
    shorthand = attrs.make_class("Shorthand", {"a": u32(default=5)}, frozen=True)
    assert shorthand().a == 5


def test_bulk_encoding_matches_one_at_a_time_and_names_bad_values() -> None:
    codec = codec_for(Stats)
    values = [Stats(i, 2 * i, i % 7, f"eth{i}", attrs.evolve(FLOW, sport=i)) for i in range(50)]
    packed = codec.pack_many(values)
    assert packed == b"".join(map(codec.pack, values))
    assert codec.unpack_many(packed, 50) == values
    assert codec.pack_many(iter(values[:3])) == packed[: 3 * codec.size]
    assert codec.pack_many([]) == b""
    bad = [*values[:10], attrs.evolve(values[10], ifname="much-too-long"), *values[11:]]
    with pytest.raises(CodecError, match=r"Stats\.ifname: string\(8\) cannot encode 'much-too-long'"):
        codec.pack_many(bad)
    with pytest.raises(CodecError, match=r"Stats\.flow: Flow\.sport: be16 cannot encode 65536"):
        codec.pack_many([*values[:5], attrs.evolve(values[5], flow=attrs.evolve(FLOW, sport=65536))])
    as_tuples = [(v.packets, v.bytes, v.last_seen, v.ifname, v.flow) for v in values]
    assert codec.pack_many(as_tuples) == packed  # type: ignore[arg-type]


def test_a_spin_lock_first_and_keyword_fields_anywhere() -> None:
    @attrs.frozen
    class Elem:
        lock: int = spin_lock()  # the usual C layout: struct elem { struct bpf_spin_lock lock; int cnt; }
        cnt: int = u32()
        tag: int = field(u16, kw_only=True)
        last: int = u8()

    codec = codec_for(Elem)
    value = Elem(5, 9, tag=7)
    packed = codec.pack(value)
    assert packed == struct.pack("=IIHB", 0, 5, 7, 9) + bytes(1)
    assert codec.unpack(packed) == value
    assert codec.unpack_many(packed * 3, 3) == [value] * 3


def test_a_field_declaration_given_as_a_type_says_to_drop_the_parentheses() -> None:
    with pytest.raises(CodecTypeError) as raised:
        pybpfmaps.HashMap.create(key=u32(), value=u32, max_entries=1)
    assert str(raised.value) == (
        "key=u32(): u32() declares a field of an attrs class; as a type, pass u32 itself (without the parentheses)"
    )
    assert "_CountingAttr" not in str(raised.value)
