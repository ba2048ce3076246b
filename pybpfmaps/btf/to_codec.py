"""Codecs for BTF types: the keys and values of a map that describes itself, as attrs classes.

Structs become frozen attrs classes (made on the fly, one per BTF type, every field defaulting to
zero as in C's ``struct s x = {};``), enums ``IntEnum``
classes, ``char`` arrays strings, other arrays tuples; ``__be16``/``__be32``/``__be64`` typedefs
decode in network order and ``struct in_addr``/``in6_addr`` as addresses. What has no codec
(unions, bitfields, pointers, floats) stays raw bytes, so nothing is ever refused.
"""

from __future__ import annotations

import enum
import keyword
import re
from typing import Any

import attrs

from pybpfmaps.btf import format as btf
from pybpfmaps.codec import Codec, IntCodec, be16, be32, be64, i8, i16, i32, i64, raw, u8, u16, u32, u64
from pybpfmaps.layout import StructCodec, codec_for
from pybpfmaps.scalar import array, boolean, int_enum, ipv4, ipv6, spin_lock, string

_INTS: dict[tuple[int, bool], IntCodec] = {
    (1, False): u8, (2, False): u16, (4, False): u32, (8, False): u64,
    (1, True): i8, (2, True): i16, (4, True): i32, (8, True): i64,
}  # fmt: skip
_BIG_ENDIAN = {"__be16": be16, "__be32": be32, "__be64": be64}


class Decoder:
    """Codecs for the types of one BTF object, made once per type."""

    def __init__(self, types: dict[int, btf.BtfType]) -> None:
        self.types = types
        self._made: dict[int, Codec[Any]] = {}

    def codec(self, type_id: int, size: int) -> Codec[Any]:
        """The codec of type *type_id*, which must be *size* bytes (else raw bytes of that size)."""
        try:
            made = self._codec(type_id)
        except (KeyError, ValueError, TypeError, attrs.exceptions.NotAnAttrsClassError):
            return raw(size)
        return made if made.size == size else raw(size)

    def _codec(self, type_id: int) -> Codec[Any]:
        if type_id not in self._made:
            self._made[type_id] = self._make(type_id)
        return self._made[type_id]

    def _make(self, type_id: int) -> Codec[Any]:
        kind, typedefs = btf.resolve(self.types, type_id)
        if kind is None:
            raise ValueError("void")
        for name in typedefs:
            if name in _BIG_ENDIAN and kind.kind == btf.INT and kind.size == _BIG_ENDIAN[name].size:
                return _BIG_ENDIAN[name]
        if kind.kind == btf.INT:
            if kind.encoding & btf.INT_BOOL and kind.size == 1:
                return boolean
            return _INTS[(kind.size, kind.signed)]
        if kind.kind == btf.PTR:
            return u64
        if kind.kind in (btf.ENUM, btf.ENUM64):
            return self._enum(type_id, kind)
        if kind.kind == btf.ARRAY:
            return self._array(kind)
        if kind.kind == btf.STRUCT:
            return self._struct(type_id, kind)
        return raw(kind.size)  # unions, floats, and anything else: the bytes as they are

    def _enum(self, type_id: int, kind: btf.BtfType) -> Codec[Any]:
        base = _INTS[(kind.size, kind.signed)]
        names = {_identifier(name, f"VALUE_{i}"): value for i, (name, value) in enumerate(kind.values)}
        if not names:
            return base
        members = enum.IntEnum(_identifier(kind.name, f"enum_{type_id}"), names)  # type: ignore[misc]
        return int_enum(members, base)

    def _array(self, kind: btf.BtfType) -> Codec[Any]:
        element, typedefs = btf.resolve(self.types, kind.ref)
        if element is not None and element.kind == btf.INT and element.size == 1:
            if element.name == "char" and not typedefs:  # char name[16]: text
                return string(kind.nelems)
            if not element.encoding & btf.INT_BOOL:  # __u8 data[6], unsigned char buf[4]: bytes
                return raw(kind.nelems)
        return array(self._codec(kind.ref), kind.nelems)

    def _struct(self, type_id: int, kind: btf.BtfType) -> Codec[Any]:
        if kind.name == "bpf_spin_lock" and kind.size == 4:
            return spin_lock
        if kind.name == "in_addr" and kind.size == 4:
            return ipv4
        if kind.name == "in6_addr" and kind.size == 16:
            return ipv6
        if any(member.bitfield or member.bit_offset % 8 for member in kind.members) or not kind.members:
            return raw(kind.size)
        members = list(kind.members)
        codecs = [self._codec(member.type) for member in members]
        offsets = [member.bit_offset // 8 for member in members]
        names: list[str] = []
        for index, member in enumerate(members):
            name = _identifier(member.name, f"field{index}")
            while name in names:
                name += "_"
            names.append(name)
        for packed in (False, True):
            pads = _padding(codecs, offsets, kind.size, packed)
            fields = {
                name: codec(pad_after=pad, default=codec.unpack(bytes(codec.size)))  # zero, as `struct s x = {};`
                for name, codec, pad in zip(names, codecs, pads, strict=True)
            }
            cls = attrs.make_class(_identifier(kind.name, f"struct_{type_id}"), fields, frozen=True)
            made: StructCodec[Any] = codec_for(cls, packed=packed)
            if made.size == kind.size and [f.offset for f in made.fields] == offsets:
                return made
        return raw(kind.size)  # a layout attrs cannot express (members out of order, say)


def _padding(codecs: list[Codec[Any]], offsets: list[int], size: int, packed: bool) -> list[int]:
    """Explicit padding after each member: where the BTF places the next one (or ends) further than C would."""
    pads = [0] * len(codecs)
    end = 0
    for index, (codec, offset) in enumerate(zip(codecs, offsets, strict=True)):
        aligned = end if packed else end + -end % codec.align
        if offset > aligned and index:
            pads[index - 1] += offset - aligned
        end = offset + codec.size
    struct_align = 1 if packed else max(codec.align for codec in codecs)
    natural_size = end + -end % struct_align
    if size > natural_size:
        pads[-1] += size - natural_size if packed else size - end
    return pads


def _identifier(name: str, fallback: str) -> str:
    cleaned = re.sub(r"\W", "_", name) if name else ""
    if not cleaned or cleaned[0].isdigit():
        cleaned = fallback if not cleaned else f"_{cleaned}"
    return cleaned + "_" if keyword.iskeyword(cleaned) else cleaned
