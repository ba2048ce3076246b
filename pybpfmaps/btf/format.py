"""The BTF wire format (``include/uapi/linux/btf.h``): parse a raw blob into types, and build one.

Type ids start at 1 (0 is ``void``). Only what map keys and values use is built; every kind is
parsed, so that BTF from compilers can be read.
"""

from __future__ import annotations

import struct
from typing import Any

import attrs

MAGIC = 0xEB9F
HEADER = struct.Struct("=HBBIIIII")

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)
MODIFIERS = frozenset({TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG})

INT_SIGNED, INT_CHAR, INT_BOOL = 1, 2, 4


@attrs.frozen
class Member:
    """A struct or union member: name, type id, offset in bits, bitfield size (0: not a bitfield)."""

    name: str
    type: int
    bit_offset: int
    bitfield: int = 0


@attrs.frozen
class BtfType:
    """One BTF type. ``size`` is the byte size (sized kinds) and ``ref`` the referenced type id."""

    kind: int
    name: str = ""
    size: int = 0
    ref: int = 0
    signed: bool = False  # ints and enums
    encoding: int = 0  # ints: INT_SIGNED | INT_CHAR | INT_BOOL
    bits: int = 0  # ints
    nelems: int = 0  # arrays
    index: int = 0  # arrays: the index type
    members: tuple[Member, ...] = ()  # structs and unions
    values: tuple[tuple[str, int], ...] = ()  # enums


def parse(data: bytes) -> dict[int, BtfType]:
    """Every type of a raw BTF blob, by id."""
    magic, _, _, hdr_len, type_off, type_len, str_off, str_len = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"not BTF: magic {magic:#x}")
    types = data[hdr_len + type_off : hdr_len + type_off + type_len]
    strings = data[hdr_len + str_off : hdr_len + str_off + str_len]

    def name(offset: int) -> str:
        return strings[offset : strings.index(b"\0", offset)].decode("utf-8", "replace")

    parsed: dict[int, BtfType] = {}
    position = 0
    while position < len(types):
        name_off, info, size_or_type = struct.unpack_from("=III", types, position)
        position += 12
        kind, vlen, kind_flag = (info >> 24) & 0x1F, info & 0xFFFF, bool(info >> 31)
        fields: dict[str, Any] = {"kind": kind, "name": name(name_off)}
        if kind in (INT, ENUM, ENUM64, STRUCT, UNION, FLOAT, DATASEC):
            fields["size"] = size_or_type
        elif kind not in (FWD,):
            fields["ref"] = size_or_type
        if kind == INT:
            (extra,) = struct.unpack_from("=I", types, position)
            position += 4
            fields.update(encoding=extra >> 24 & 0xF, bits=extra & 0xFF, signed=bool(extra >> 24 & INT_SIGNED))
        elif kind == ARRAY:
            fields["ref"], fields["index"], fields["nelems"] = struct.unpack_from("=III", types, position)
            position += 12
        elif kind in (STRUCT, UNION):
            members = []
            for _ in range(vlen):
                member_name, member_type, offset = struct.unpack_from("=III", types, position)
                position += 12
                bitfield, offset = (offset >> 24, offset & 0xFFFFFF) if kind_flag else (0, offset)
                members.append(Member(name(member_name), member_type, offset, bitfield))
            fields["members"] = tuple(members)
        elif kind == ENUM:
            values = []
            for _ in range(vlen):
                value_name, value = struct.unpack_from("=Ii" if kind_flag else "=II", types, position)
                position += 8
                values.append((name(value_name), value))
            fields.update(values=tuple(values), signed=kind_flag)
        elif kind == ENUM64:
            values = []
            for _ in range(vlen):
                value_name, low, high = struct.unpack_from("=III", types, position)
                position += 12
                value = high << 32 | low
                values.append((name(value_name), value - (1 << 64) if kind_flag and value >> 63 else value))
            fields.update(values=tuple(values), signed=kind_flag)
        elif kind in (FUNC_PROTO,):
            position += 8 * vlen
        elif kind in (VAR, DECL_TAG):
            position += 4
        elif kind == DATASEC:
            position += 12 * vlen
        parsed[len(parsed) + 1] = BtfType(**fields)
    return parsed


def resolve(types: dict[int, BtfType], type_id: int) -> tuple[BtfType | None, list[str]]:
    """The type behind typedefs and qualifiers, and the typedef names passed on the way."""
    names = []
    current = types.get(type_id)
    while current is not None and current.kind in MODIFIERS:
        if current.kind == TYPEDEF:
            names.append(current.name)
        current = types.get(current.ref)
    return current, names


class Builder:
    """Accumulates types and strings, and writes the raw BTF blob that BPF_BTF_LOAD takes."""

    def __init__(self) -> None:
        self._types: list[bytes] = []
        self._strings = bytearray(b"\0")
        self._string_offsets: dict[str, int] = {"": 0}
        self._known: dict[tuple[Any, ...], int] = {}

    def _string(self, text: str) -> int:
        if text not in self._string_offsets:
            self._string_offsets[text] = len(self._strings)
            self._strings += text.encode() + b"\0"
        return self._string_offsets[text]

    def _add(self, identity: tuple[Any, ...], name: str, kind: int, vlen: int, size_or_type: int, extra: bytes,
             kind_flag: bool = False) -> int:  # fmt: skip
        if identity in self._known:
            return self._known[identity]
        info = kind << 24 | vlen | (1 << 31 if kind_flag else 0)
        self._types.append(struct.pack("=III", self._string(name), info, size_or_type) + extra)
        self._known[identity] = len(self._types)
        return len(self._types)

    def int_type(self, name: str, size: int, *, signed: bool = False, char: bool = False, boolean: bool = False) -> int:
        encoding = (INT_SIGNED if signed else 0) | (INT_CHAR if char else 0) | (INT_BOOL if boolean else 0)
        extra = struct.pack("=I", encoding << 24 | 8 * size)
        return self._add(("int", name, size, encoding), name, INT, 0, size, extra)

    def typedef(self, name: str, ref: int) -> int:
        return self._add(("typedef", name, ref), name, TYPEDEF, 0, ref, b"")

    def array(self, element: int, count: int) -> int:
        index = self.int_type("__u32", 4)
        return self._add(("array", element, count), "", ARRAY, 0, 0, struct.pack("=III", element, index, count))

    def struct(self, name: str, size: int, members: list[tuple[str, int, int]]) -> int:
        """A struct of (member name, type id, byte offset)."""
        extra = b"".join(struct.pack("=III", self._string(m), t, 8 * offset) for m, t, offset in members)
        identity = ("struct", name, size, tuple(members))
        return self._add(identity, name, STRUCT, len(members), size, extra)

    def enum(self, name: str, size: int, values: list[tuple[str, int]], *, signed: bool) -> int:
        if size <= 4:
            extra = b"".join(struct.pack("=Ii" if signed else "=II", self._string(n), v) for n, v in values)
            return self._add(("enum", name, size, tuple(values)), name, ENUM, len(values), size, extra, signed)
        extra = b"".join(
            struct.pack("=III", self._string(n), v & 0xFFFFFFFF, (v >> 32) & 0xFFFFFFFF) for n, v in values
        )
        return self._add(("enum64", name, size, tuple(values)), name, ENUM64, len(values), size, extra, signed)

    def blob(self) -> bytes:
        types = b"".join(self._types)
        header = HEADER.pack(MAGIC, 1, 0, HEADER.size, 0, len(types), len(types), len(self._strings))
        return header + types + bytes(self._strings)
