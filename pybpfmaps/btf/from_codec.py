"""BTF for codecs: the types that describe a map's keys and values, built from pybpfmaps codecs.

``describe(builder, codec)`` adds the codec's type and returns its id; a codec BTF cannot describe
(a custom codec) raises ``NoBtf``, and the map is then created without type information.
"""

from __future__ import annotations

from typing import Any

from pybpfmaps.btf.aggregate import AggregateCodec
from pybpfmaps.btf.format import Builder
from pybpfmaps.codec import Codec, IntCodec, RawCodec, WideIntCodec
from pybpfmaps.interfaces import IfindexCodec
from pybpfmaps.layout import StructCodec
from pybpfmaps.percpu import PerCpuCodec
from pybpfmaps.scalar import (
    AddressCodec,
    ArrayCodec,
    BoolCodec,
    FloatCodec,
    IntEnumCodec,
    MacCodec,
    NetworkCodec,
    SpinLockCodec,
    StringCodec,
)


class NoBtf(Exception):
    """The codec has no BTF description."""


_INT_NAMES = {
    ("u8", 1): "__u8", ("u16", 2): "__u16", ("u32", 4): "__u32", ("u64", 8): "__u64",
    ("i8", 1): "__s8", ("i16", 2): "__s16", ("i32", 4): "__s32", ("i64", 8): "__s64",
}  # fmt: skip


def describe(builder: Builder, codec: Codec[Any]) -> int:
    """The BTF type id of *codec*, added to *builder*."""
    if isinstance(codec, PerCpuCodec):
        return describe(builder, codec.element)
    if isinstance(codec, AggregateCodec):  # made from BTF: that very type, as its source described it
        if codec.origin is None:
            raise NoBtf(f"{codec.name} was resized to fill a map and has no BTF of its own")
        types, type_id = codec.origin
        return builder.copy(types, type_id)
    if isinstance(codec, WideIntCodec):
        signed = codec.minimum < 0
        return builder.int_type("__int128" if signed else "unsigned __int128", 16, signed=signed)
    if isinstance(codec, FloatCodec):
        return builder.float_type("float" if codec.size == 4 else "double", codec.size)
    if isinstance(codec, IntCodec):
        return _int(builder, codec)
    if isinstance(codec, BoolCodec):
        return builder.int_type("_Bool", 1, boolean=True)
    if isinstance(codec, StringCodec):
        return builder.array(builder.int_type("char", 1, char=True), codec.size)
    if isinstance(codec, (RawCodec, MacCodec)):
        return builder.array(builder.int_type("__u8", 1), codec.size)
    if isinstance(codec, SpinLockCodec):
        return builder.struct("bpf_spin_lock", 4, [("val", builder.int_type("__u32", 4), 0)])
    if isinstance(codec, IfindexCodec):
        return builder.typedef("ifindex", builder.int_type("__u32", 4))
    if isinstance(codec, AddressCodec):
        if codec.size == 4:
            be32 = builder.typedef("__be32", builder.int_type("__u32", 4))
            return builder.struct("in_addr", 4, [("s_addr", be32, 0)])
        return builder.struct("in6_addr", 16, [("s6_addr", builder.array(builder.int_type("__u8", 1), 16), 0)])
    if isinstance(codec, NetworkCodec):
        data = builder.array(builder.int_type("__u8", 1), codec.size - 4)
        name = "lpm_key_ipv4" if codec.size == 8 else "lpm_key_ipv6"
        return builder.struct(name, codec.size, [("prefixlen", builder.int_type("__u32", 4), 0), ("data", data, 4)])
    if isinstance(codec, IntEnumCodec):
        base = codec._base
        return builder.enum(
            codec.enum.__name__,
            codec.size,
            [(member.name, int(member)) for member in codec.enum],
            signed=base.minimum < 0,
        )
    if isinstance(codec, ArrayCodec):
        return builder.array(describe(builder, codec.element), codec.length)
    if isinstance(codec, StructCodec):
        members = [(layout.name, describe(builder, layout.codec), layout.offset) for layout in codec.fields]
        return builder.struct(codec.cls.__name__, codec.size, members)
    raise NoBtf(f"no BTF for codec {codec!r}")


def _int(builder: Builder, codec: IntCodec) -> int:
    if codec.big_endian:
        plain = builder.int_type(f"__u{8 * codec.size}", codec.size)
        return builder.typedef(f"__be{8 * codec.size}", plain)
    name = _INT_NAMES.get((codec.name, codec.size), f"__{'s' if codec.minimum < 0 else 'u'}{8 * codec.size}")
    return builder.int_type(name, codec.size, signed=codec.minimum < 0)


def has_spin_lock(codec: Codec[Any]) -> bool:
    """Whether a value codec holds a ``bpf_spin_lock`` (at the top level of a struct, as the kernel requires)."""
    element = codec.element if isinstance(codec, PerCpuCodec) else codec
    if isinstance(element, AggregateCodec):
        return not element.union and any(isinstance(slot.codec, SpinLockCodec) for slot in element.slots)
    return isinstance(element, StructCodec) and any(isinstance(f.codec, SpinLockCodec) for f in element.fields)
