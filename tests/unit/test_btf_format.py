"""BTF blobs: what the builder writes parses back, and codecs survive a trip through BTF."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpfmaps import be32, u32
from pybpfmaps.btf import format as btf
from pybpfmaps.btf import map_btf
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codecs.aggregates import AggregateCodec
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import NoBtf, btf_type
from tests.support.cstructs import LayoutSpec, instances, layouts


def through_btf(codec: Codec[Any]) -> Codec[Any]:
    builder = btf.Builder()
    type_id = btf_type(codec, builder)
    return Decoder(btf.parse(builder.blob()).types).codec(type_id, codec.size)


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
    types = btf.parse(builder.blob()).types
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
    assert isinstance(decoded, AggregateCodec), f"{layout.name} came back as {decoded!r}"
    assert [slot.name for slot in decoded.slots] == [f.name for f in codec.fields]
    assert [slot.offset for slot in decoded.slots] == [f.offset for f in codec.fields]
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
        btf_type(Custom(), btf.Builder())
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
