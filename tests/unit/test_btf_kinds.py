"""Every BTF kind as a codec, without a kernel: the name rule, bitfields, unions, anonymous members,
data sections, floats, 128-bit integers, flexible arrays, split BTF, and the ``Btf`` API."""

from __future__ import annotations

import enum
import struct
import sys
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpfmaps import BpfArgumentError, Btf, BtfStruct, BtfUnion, CodecError
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.names import member_names, python_name
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codecs.aggregates import AggregateCodec, untyped_parts
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec

U8, U16, U32, S8, S32, U64 = 1, 2, 3, 4, 5, 6
BASE = {
    U8: btf.BtfType(btf.INT, "unsigned char", size=1, bits=8),
    U16: btf.BtfType(btf.INT, "unsigned short", size=2, bits=16),
    U32: btf.BtfType(btf.INT, "unsigned int", size=4, bits=32),
    S8: btf.BtfType(btf.INT, "signed char", size=1, bits=8, signed=True, encoding=btf.INT_SIGNED),
    S32: btf.BtfType(btf.INT, "int", size=4, bits=32, signed=True, encoding=btf.INT_SIGNED),
    U64: btf.BtfType(btf.INT, "unsigned long long", size=8, bits=64),
}
M = btf.Member


def table(*types: btf.BtfType) -> dict[int, btf.BtfType]:
    """BASE, then *types* numbered after it."""
    return {**BASE, **dict(enumerate(types, start=len(BASE) + 1))}


def decode(*types: btf.BtfType, size: int | None = None) -> Codec[Any]:
    """The codec of the last of *types*."""
    types_by_id = table(*types)
    return Decoder(types_by_id).codec(max(types_by_id), size)


def struct_type(name: str, size: int, *members: btf.Member, union: bool = False, bits: bool = False) -> btf.BtfType:
    return btf.BtfType(btf.UNION if union else btf.STRUCT, name, size=size, members=members, kind_flag=bits)


def test_the_name_rule() -> None:
    assert [python_name(n) for n in ("class", "None", "_1", "__init__", "a-b", "1st", "self", "_pad")] == [
        "class_", "None_", "_1", "__init___", "a_b", "_1st", "self", "_pad"
    ]  # fmt: skip
    assert member_names(["pad", "_pad", "class", "class_", "", "anon0", ""]) == [
        "pad", "_pad", "class_", "class__", "anon0_", "anon0", "anon1"
    ]  # fmt: skip


def test_any_member_name_makes_a_working_class() -> None:
    names = ["class", "_1", "pad", "_pad", "self", "_setattr", "_inst_dict", "__x", "object", "NOTHING", "__pad__"]
    members = [M(name, U8, 8 * index) for index, name in enumerate(names)]
    codec = decode(struct_type("odd", len(names), *members))
    assert isinstance(codec, AggregateCodec)
    value = codec.unpack(bytes(range(1, len(names) + 1)))
    assert [getattr(value, slot.name) for slot in codec.slots] == list(range(1, len(names) + 1))
    assert codec.pack(value) == bytes(range(1, len(names) + 1))
    changed = attrs.evolve(value, self=50, _pad=40)
    assert (changed.self, changed._pad, changed._1) == (50, 40, 2)
    assert codec.pack({"self": 9, "class": 8})[0] == 8  # dicts take C names too
    assert codec.pack(codec.cls(class_=8))[0] == 8


def test_bitfields_sit_in_place_and_the_rest_stays_typed() -> None:
    flags = struct_type("flags", 8, M("action", U32, 0, 4), M("priority", U32, 4, 28), M("delta", S8, 32, 3),
                        M("port", U16, 48), bits=True)  # fmt: skip
    codec = decode(flags)
    assert isinstance(codec, AggregateCodec)
    value = codec.cls(action=9, priority=(1 << 28) - 1, delta=-3, port=80)
    data = codec.pack(value)
    assert data == struct.pack("=IBxH", 9 | ((1 << 28) - 1) << 4, 0b101, 80)
    assert codec.unpack(data) == value
    with pytest.raises(CodecError, match=r"flags\.action: u32:4 cannot encode 16"):
        codec.pack(attrs.evolve(value, action=16))
    with pytest.raises(CodecError, match=r"flags\.delta: i8:3 cannot encode -5: out of range -4\.\.3"):
        codec.pack(attrs.evolve(value, delta=-5))
    stray = bytearray(data)
    stray[4] |= 0xF8  # bits no bitfield covers, and the padding byte
    stray[5] = 0x77
    kept = codec.unpack(bytes(stray))
    assert (kept.delta, kept.__pad__) == (-3, bytes(4) + b"\xf8\x77" + bytes(2))
    assert codec.pack(kept) == bytes(stray)
    assert kept != value  # they are different bytes, so different keys


def test_unions_named_and_anonymous() -> None:
    inner = struct_type("", 4, M("lo", U16, 0), M("hi", U16, 16))
    either = struct_type("", 4, M("raw", U32, 0), M("", 7 + len(BASE) - 6, 0), union=True)  # id of `inner`
    outer = struct_type("outer", 8, M("kind", U32, 0), M("", 8 + len(BASE) - 6, 32))
    codec = decode(inner, either, outer)
    assert isinstance(codec, AggregateCodec)
    value = codec.cls(kind=1, anon0={"raw": 0x00020001})
    assert isinstance(value.anon0, BtfUnion)
    assert (value.raw, value.lo, value.hi) == (0x20001, 1, 2)  # anonymous members' members, as in C
    assert type(value.anon0).__name__ == "outer_anon0"
    union_type = type(value.anon0)
    rewritten = union_type(value.anon0, anon0=attrs.evolve(value.anon0.anon0, hi=7))  # from a value, one member
    assert rewritten.raw == 0x00070001
    assert union_type(value.anon0, anon0={"hi": 7}).raw == 0x00070000  # a member written whole: lo is 0 in it
    assert union_type(raw=5) == union_type(bytes([5, 0, 0, 0]))
    assert repr(union_type(raw=5)) == "outer_anon0(raw=5, anon0=outer_anon0_anon0(lo=5, hi=0))"
    assert codec.pack(value) == struct.pack("=IHH", 1, 1, 2)
    with pytest.raises(TypeError, match="has no member 'nope'"):
        union_type(nope=1)
    with pytest.raises(AttributeError, match=r"outer_anon0 has no member 'nope' \(its members: raw, anon0\)"):
        _ = value.anon0.nope


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=24, max_size=24))
def test_any_bytes_round_trip(data: bytes) -> None:
    tag = struct_type("", 4, M("mark", U32, 0), M("class_id", U16, 0), M("flag", U8, 0, 1), union=True, bits=True)
    mixed = struct_type("mixed", 24, M("a", U8, 0), M("b", U8, 8, 3), M("c", S8, 11, 2), M("tag", 7, 32),
                        M("big", U64, 64), M("last", U8, 128), bits=True)  # fmt: skip
    codec = decode(tag, mixed)
    assert codec.pack(codec.unpack(data)) == data


def test_scalars_of_every_kind() -> None:
    assert repr(decode(btf.BtfType(btf.FLOAT, "double", size=8))) == "f64"
    assert repr(decode(btf.BtfType(btf.FLOAT, "float", size=4))) == "f32"
    wide = decode(btf.BtfType(btf.INT, "__int128", size=16, bits=128, signed=True, encoding=btf.INT_SIGNED))
    assert wide.unpack(wide.pack(-(1 << 127))) == -(1 << 127)
    pointer = decode(btf.BtfType(btf.PTR, ref=0))
    assert repr(pointer) == "u64"
    long_double = decode(btf.BtfType(btf.FLOAT, "long double", size=16))
    assert isinstance(long_double, RawCodec)
    assert long_double.reason == "16-byte floats (long double) have no Python type"
    forward = decode(btf.BtfType(btf.FWD, "opaque"), size=8)
    assert isinstance(forward, RawCodec)
    assert "forward declaration" in str(forward.reason)
    mismatch = decode(size=8)  # the last base type, u64, asked for as 8 bytes: fine
    assert repr(mismatch) == "u64"
    assert decode(size=4).reason == "its BTF type u64 is 8 bytes, not 4"  # type: ignore[attr-defined]


def test_enums_signed_wide_and_anonymous_behind_a_typedef() -> None:
    wide = btf.BtfType(btf.ENUM64, "", size=8, values=(("LOW", -1), ("HIGH", 1 << 40)), signed=True, kind_flag=True)
    named = btf.BtfType(btf.TYPEDEF, "level_t", ref=len(BASE) + 1)
    codec = decode(wide, named)
    members: Any = codec.enum  # type: ignore[attr-defined]
    assert members.__name__ == "level_t"
    assert codec.unpack(codec.pack(-1)) is members.LOW
    assert codec.unpack((1 << 40).to_bytes(8, sys.byteorder)) is members.HIGH
    odd = decode(btf.BtfType(btf.ENUM, "odd", size=4, values=(("class", 0), ("_hidden_", 1), ("mro", 2))))
    assert [m.name for m in odd.enum] == ["class_", "_hidden__", "mro_"]  # type: ignore[attr-defined]
    assert issubclass(odd.enum, enum.IntEnum)  # type: ignore[attr-defined]


def test_zero_size_members_empty_structs_and_flexible_arrays() -> None:
    empty = struct_type("empty", 0)
    zero = btf.BtfType(btf.ARRAY, ref=U8, index=U32, nelems=0)
    holder = struct_type("holder", 4, M("n", U32, 0), M("nothing", len(BASE) + 1, 32), M("data", len(BASE) + 2, 32))
    codec = decode(empty, zero, holder)
    assert repr(codec.unpack(b"\1\0\0\0")) == "holder(n=1, nothing=empty(), data=())"
    grown = decode(empty, zero, holder, size=8)  # the map's value is 8 bytes: data[] holds the other 4
    assert grown.unpack(b"\1\0\0\0abcd").data == b"abcd"
    assert grown.pack({"n": 2, "data": b"wxyz"}) == b"\2\0\0\0wxyz"


def test_data_sections_are_one_field_per_variable() -> None:
    counter = btf.BtfType(btf.VAR, "counter", ref=S32)
    greeting = btf.BtfType(btf.VAR, "greeting", ref=len(BASE) + 3)
    chars = btf.BtfType(btf.ARRAY, ref=len(BASE) + 4, index=U32, nelems=6)
    char = btf.BtfType(btf.INT, "char", size=1, bits=8, signed=True, encoding=btf.INT_SIGNED)
    section = btf.BtfType(
        btf.DATASEC, ".data", size=12, members=(M("", len(BASE) + 1, 0, 4), M("", len(BASE) + 2, 32, 6))
    )
    codec = decode(counter, greeting, chars, char, section)
    assert isinstance(codec, AggregateCodec)
    assert repr(codec) == "data"
    value = codec.unpack(b"\7\0\0\0hi\0\0\0\0\0\x01")
    assert (value.counter, value.greeting, value.__pad__) == (7, "hi", bytes(11) + b"\x01")
    assert codec.pack(value) == b"\7\0\0\0hi\0\0\0\0\0\x01"


def test_a_member_without_a_type_leaves_the_rest_typed() -> None:
    long_double = btf.BtfType(btf.FLOAT, "long double", size=16)
    odd = struct_type("odd", 32, M("x", len(BASE) + 1, 0), M("y", S32, 128))
    codec = decode(long_double, odd)
    assert isinstance(codec, AggregateCodec)
    assert untyped_parts(codec) == ["odd.x: 16-byte floats (long double) have no Python type"]
    assert codec.unpack(b"\xff" * 16 + b"\xfe\xff\xff\xff" + bytes(12)).y == -2


def test_copied_types_parse_back_the_same() -> None:
    source = table(
        struct_type("", 4, M("mark", U32, 0), M("class_id", U16, 0), union=True),
        struct_type(
            "rule", 8, M("action", U32, 0, 4), M("priority", U32, 4, 28), M("tag", len(BASE) + 1, 32), bits=True
        ),
    )
    builder = btf.Builder()
    copied = builder.copy(source, len(BASE) + 2)
    parsed = btf.parse(builder.blob()).types
    rule = parsed[copied]
    assert (rule.name, rule.size, rule.kind_flag) == ("rule", 8, True)
    assert [(m.name, m.bit_offset, m.bitfield) for m in rule.members] == [
        ("action", 0, 4),
        ("priority", 4, 28),
        ("tag", 32, 0),
    ]
    assert [m.name for m in parsed[rule.members[2].type].members] == ["mark", "class_id"]


def split_blob(base: btf.Parsed, types: bytes, strings: bytes) -> bytes:
    return btf.HEADER.pack(btf.MAGIC, 1, 0, btf.HEADER.size, 0, len(types), len(types), len(strings)) + types + strings


def test_split_btf_continues_its_base() -> None:
    builder = btf.Builder()
    u32_id = builder.int_type("unsigned int", 4)
    base = Btf.load(builder.blob())
    strings = b"\0wrapper\0value\0"
    base_strings = len(base._parsed.strings)
    # struct wrapper { unsigned int value; }: its name and member name in its own strings, its member type in the base
    record = struct.pack("=III", base_strings + 1, btf.STRUCT << 24 | 1, 4) + struct.pack(
        "=III", base_strings + 9, u32_id, 0
    )
    module = Btf.load(split_blob(base._parsed, record, strings), base=base)
    assert module.names("struct") == ["wrapper"]
    assert module.type_id("struct wrapper") == u32_id + 1
    assert module.codec("wrapper").unpack(b"\5\0\0\0").value == 5


def test_btf_lookups_by_name_and_kind() -> None:
    builder = btf.Builder()
    builder.struct(
        "pair",
        8,
        [("a", builder.int_type("int", 4, signed=True), 0), ("b", builder.int_type("int", 4, signed=True), 4)],
    )
    builder.enum("color", 4, [("RED", 1)], signed=False)
    found = Btf.load(builder.blob())
    assert found.names("struct") == ["pair"]
    assert found.names("enum") == ["color"]
    assert isinstance(found.codec("struct pair").unpack(bytes(8)), BtfStruct)
    assert found.codec("pair") is found.codec(found.type_id("struct pair"))
    with pytest.raises(BpfArgumentError, match="has no struct called 'nope'"):
        found.codec("struct nope")
    with pytest.raises(BpfArgumentError, match="unknown kind 'structure'"):
        found.names("structure")
    with pytest.raises(BpfArgumentError, match="is not BTF"):
        Btf.load(b"not BTF at all, not ELF either")
    with pytest.raises(BpfArgumentError, match="cannot read BTF from '/nonexistent'"):
        Btf.load("/nonexistent")


def test_a_struct_of_65535_members_opens_and_round_trips() -> None:
    """The most members BTF can give a struct (its vlen is 16 bits)."""
    n = 65535
    wide = btf.BtfType(btf.STRUCT, "wide", size=n, members=tuple(M(f"m{i}", U8, 8 * i) for i in range(n)))
    codec = decode(wide)
    data = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
    value = codec.unpack(data)
    assert (value.m0, value.m65534) == (0, 254)
    assert codec.pack(value) == data
