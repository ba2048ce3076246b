"""BTF blobs: what the builder writes parses back, and codecs survive a trip through BTF."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpfmaps import StructCodec, be32, u32
from pybpfmaps.btf import format as btf
from pybpfmaps.btf import map_btf
from pybpfmaps.btf.from_codec import NoBtf, describe
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codec import Codec
from tests.cstructs import LayoutSpec, instances, layouts


def through_btf(codec: Codec[Any]) -> Codec[Any]:
    builder = btf.Builder()
    type_id = describe(builder, codec)
    return Decoder(btf.parse(builder.blob())).codec(type_id, codec.size)


def test_builder_output_parses_back() -> None:
    builder = btf.Builder()
    u32_id = builder.int_type("__u32", 4)
    s16_id = builder.int_type("__s16", 2, signed=True)
    be_id = builder.typedef("__be32", u32_id)
    array_id = builder.array(s16_id, 3)
    enum_id = builder.enum("color", 4, [("RED", 1), ("DARK", -2)], signed=True)
    wide_id = builder.enum("wide", 8, [("BIG", 1 << 40), ("LOW", -1)], signed=True)
    struct_id = builder.struct("pair", 12, [("a", be_id, 0), ("b", array_id, 4)])
    assert builder.int_type("__u32", 4) == u32_id  # the same type is written once
    types = btf.parse(builder.blob())
    assert types[u32_id] == btf.BtfType(btf.INT, "__u32", size=4, bits=32)
    assert types[s16_id] == btf.BtfType(btf.INT, "__s16", size=2, bits=16, signed=True, encoding=btf.INT_SIGNED)
    assert types[be_id] == btf.BtfType(btf.TYPEDEF, "__be32", ref=u32_id)
    assert types[array_id] == btf.BtfType(btf.ARRAY, ref=s16_id, index=u32_id, nelems=3)
    assert types[enum_id].values == (("RED", 1), ("DARK", -2))
    assert (types[wide_id].kind, types[wide_id].values) == (btf.ENUM64, (("BIG", 1 << 40), ("LOW", -1)))
    assert types[struct_id].members == (btf.Member("a", be_id, 0), btf.Member("b", array_id, 32))
    assert btf.resolve(types, be_id) == (types[u32_id], ["__be32"])


def test_a_blob_without_the_magic_is_refused() -> None:
    with pytest.raises(ValueError, match="not BTF"):
        btf.parse(bytes(24))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_layouts_survive_a_trip_through_btf(data: st.DataObject) -> None:
    layout: LayoutSpec = data.draw(layouts())
    instance = data.draw(instances(layout))
    codec = layout.codec()
    decoded = through_btf(codec)
    assert isinstance(decoded, StructCodec), f"{layout.name} came back as {decoded!r}"
    assert [f.name for f in decoded.fields] == [f.name for f in codec.fields]
    assert [f.offset for f in decoded.fields] == [f.offset for f in codec.fields]
    packed = codec.pack(instance)
    assert decoded.pack(decoded.unpack(packed)) == packed
    assert decoded.pack(decoded.cls()) == bytes(codec.size)  # every field defaults to zero, as in C


def test_codecs_without_btf_make_maps_without_it() -> None:
    class Custom(Codec[int]):
        def __init__(self) -> None:
            super().__init__(4, "custom")

        def pack(self, value: int) -> bytes:
            return value.to_bytes(4, "little")

        def unpack(self, data: Any) -> int:
            return int.from_bytes(data, "little")

    with pytest.raises(NoBtf):
        describe(btf.Builder(), Custom())
    assert map_btf(u32, Custom()) is None
    assert map_btf(u32, be32) is not None


def struct_type(name: str, size: int, members: list[btf.Member]) -> btf.BtfType:
    return btf.BtfType(btf.STRUCT, name, size=size, members=tuple(members))


U8, U32, S16 = 1, 2, 3
BASE_TYPES = {
    U8: btf.BtfType(btf.INT, "unsigned char", size=1, bits=8),
    U32: btf.BtfType(btf.INT, "unsigned int", size=4, bits=32),
    S16: btf.BtfType(btf.INT, "short", size=2, bits=16, signed=True, encoding=btf.INT_SIGNED),
}


def decode(*types: btf.BtfType, size: int) -> Codec[Any]:
    """The codec of the last of *types*, numbered after BASE_TYPES."""
    table = dict(BASE_TYPES)
    for index, kind in enumerate(types, start=len(BASE_TYPES) + 1):
        table[index] = kind
    return Decoder(table).codec(len(table), size)


def shown(*types: btf.BtfType, size: int) -> str:
    return repr(decode(*types, size=size))


def test_what_has_no_codec_stays_bytes() -> None:
    union = btf.BtfType(btf.UNION, "either", size=4, members=(btf.Member("a", U32, 0), btf.Member("b", S16, 0)))
    assert shown(union, size=4) == "raw(4)"
    bitfields = struct_type("flags", 4, [btf.Member("low", U32, 0, 4), btf.Member("high", U32, 4, 28)])
    assert shown(bitfields, size=4) == "raw(4)"
    assert shown(btf.BtfType(btf.FLOAT, "float", size=4), size=4) == "raw(4)"
    assert shown(btf.BtfType(btf.FWD, "opaque"), size=8) == "raw(8)"
    assert shown(size=2) == "i16"  # the last base type
    assert shown(btf.BtfType(btf.INT, "int", size=4, signed=True), size=8) == "raw(8)"  # size disagrees


def test_names_that_python_cannot_use_are_adjusted() -> None:
    members = [btf.Member("class", U32, 0), btf.Member("", U8, 32), btf.Member("class_", U8, 40)]
    codec = decode(struct_type("", 8, members), size=8)
    assert isinstance(codec, StructCodec)
    assert codec.cls.__name__ == "struct_4"
    assert [f.name for f in codec.fields] == ["class_", "field1", "class__"]
    colors = btf.BtfType(btf.ENUM, "color", size=4, values=(("def", 0), ("", 1)))
    decoded_enum = decode(colors, size=4)
    assert [member.name for member in decoded_enum.enum] == ["def_", "VALUE_1"]  # type: ignore[attr-defined]


def test_trailing_padding_and_packing_follow_the_btf() -> None:
    # struct { __u32 a; __u8 b; } has 3 bytes of trailing padding: size 8
    padded = decode(struct_type("tail", 8, [btf.Member("a", U32, 0), btf.Member("b", U8, 32)]), size=8)
    assert isinstance(padded, StructCodec)
    assert padded.pack((1, 2)) == bytes([1, 0, 0, 0, 2, 0, 0, 0])
    # __attribute__((packed)): a __u32 at offset 1
    packed = decode(struct_type("tight", 5, [btf.Member("b", U8, 0), btf.Member("a", U32, 8)]), size=5)
    assert isinstance(packed, StructCodec)
    assert packed.pack((2, 1)) == bytes([2, 1, 0, 0, 0])
    # explicit padding after the last member, beyond what alignment asks: struct { __u8 a; char pad[3]; }
    explicit = decode(struct_type("spare", 4, [btf.Member("a", U8, 0)]), size=4)
    assert isinstance(explicit, StructCodec)
    assert explicit.pack((7,)) == bytes([7, 0, 0, 0])
