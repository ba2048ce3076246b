"""The BTF wire format (``include/uapi/linux/btf.h``): parse a raw blob into types, and build one.

Type ids start at 1 (0 is ``void``). Every kind is parsed, split BTF (kernel modules' BTF, whose
ids and strings continue those of ``vmlinux``) included. The builder writes the types map keys and
values need, and copies any parsed type with what it refers to, so that a codec made from BTF
describes itself to the kernel exactly as its source did.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import attrs

MAGIC = 0xEB9F
HEADER = struct.Struct("=HBBIIIII")

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)
MODIFIERS = frozenset({TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG})
KIND_NAMES = {
    INT: "int", PTR: "ptr", ARRAY: "array", STRUCT: "struct", UNION: "union", ENUM: "enum", FWD: "fwd",
    TYPEDEF: "typedef", VOLATILE: "volatile", CONST: "const", RESTRICT: "restrict", FUNC: "func",
    FUNC_PROTO: "func_proto", VAR: "var", DATASEC: "datasec", FLOAT: "float", DECL_TAG: "decl_tag",
    TYPE_TAG: "type_tag", ENUM64: "enum64",
}  # fmt: skip
_SIZED = frozenset({INT, ENUM, ENUM64, STRUCT, UNION, FLOAT, DATASEC})

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
    """One BTF type. ``size`` is the byte size (sized kinds) and ``ref`` the referenced type id.

    ``members`` holds a struct's or union's members, a function prototype's parameters (bit
    offset 0) and a data section's variables (``bit_offset`` 8 times the offset, ``bitfield`` their size
    in bytes).
    """

    kind: int
    name: str = ""
    size: int = 0
    ref: int = 0
    kind_flag: bool = False
    signed: bool = False  # ints and enums
    encoding: int = 0  # ints: INT_SIGNED | INT_CHAR | INT_BOOL
    bits: int = 0  # ints: how many bits hold the value
    int_offset: int = 0  # ints: where those bits start
    nelems: int = 0  # arrays
    index: int = 0  # arrays: the index type
    members: tuple[Member, ...] = ()
    values: tuple[tuple[str, int], ...] = ()  # enums
    linkage: int = 0  # vars and funcs
    component: int = -1  # decl tags: the member or parameter tagged, -1 for the type itself


@attrs.frozen
class Parsed:
    """A parsed blob: its types by id (a split blob's base types included) and its string section."""

    types: Mapping[int, BtfType]
    strings: bytes
    count: int
    """The highest type id."""


def c_string(data: bytes | bytearray, offset: int) -> str:
    """The NUL-terminated string at *offset* of a string section (up to the end if no NUL ends it)."""
    end = data.find(b"\0", offset)
    return bytes(data[offset : end if end >= 0 else len(data)]).decode("utf-8", "replace")


def string_section(data: bytes) -> bytes:
    """The string section of a raw BTF blob (which ``.BTF.ext`` names refer to as well)."""
    _, _, _, hdr_len, _, _, str_off, str_len = HEADER.unpack_from(data)
    return data[hdr_len + str_off : hdr_len + str_off + str_len]


def parse(data: bytes, base: Parsed | None = None) -> Parsed:
    """Every type of a raw BTF blob, by id; *base* is the BTF a split blob continues (vmlinux's)."""
    if len(data) < HEADER.size:
        raise ValueError(f"not BTF: {len(data)} bytes")
    magic, _, _, hdr_len, type_off, type_len, str_off, str_len = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"not BTF: magic {magic:#x}")
    types_data = data[hdr_len + type_off : hdr_len + type_off + type_len]
    strings = data[hdr_len + str_off : hdr_len + str_off + str_len]
    base_strings = base.strings if base is not None else b""

    def name(offset: int) -> str:
        if offset < len(base_strings):
            return c_string(base_strings, offset)
        return c_string(strings, offset - len(base_strings))

    parsed: dict[int, BtfType] = dict(base.types) if base is not None else {}
    next_id = (base.count if base is not None else 0) + 1
    position = 0
    while position + 12 <= len(types_data):
        name_off, info, size_or_type = struct.unpack_from("=III", types_data, position)
        position += 12
        kind, vlen, kind_flag = (info >> 24) & 0x1F, info & 0xFFFF, bool(info >> 31)
        fields: dict[str, Any] = {"kind": kind, "name": name(name_off), "kind_flag": kind_flag}
        fields["size" if kind in _SIZED else "ref"] = size_or_type if kind != FWD else 0
        if kind == INT:
            (extra,) = struct.unpack_from("=I", types_data, position)
            position += 4
            encoding = extra >> 24 & 0xF
            fields.update(
                encoding=encoding, int_offset=extra >> 16 & 0xFF, bits=extra & 0xFF, signed=bool(encoding & INT_SIGNED)
            )
        elif kind == ARRAY:
            fields["ref"], fields["index"], fields["nelems"] = struct.unpack_from("=III", types_data, position)
            position += 12
        elif kind in (STRUCT, UNION):
            members = []
            for _ in range(vlen):
                member_name, member_type, offset = struct.unpack_from("=III", types_data, position)
                position += 12
                bitfield, offset = (offset >> 24, offset & 0xFFFFFF) if kind_flag else (0, offset)
                members.append(Member(name(member_name), member_type, offset, bitfield))
            fields["members"] = tuple(members)
        elif kind == ENUM:
            values = []
            for _ in range(vlen):
                value_name, value = struct.unpack_from("=Ii" if kind_flag else "=II", types_data, position)
                position += 8
                values.append((name(value_name), value))
            fields.update(values=tuple(values), signed=kind_flag)
        elif kind == ENUM64:
            values = []
            for _ in range(vlen):
                value_name, low, high = struct.unpack_from("=III", types_data, position)
                position += 12
                value = high << 32 | low
                values.append((name(value_name), value - (1 << 64) if kind_flag and value >> 63 else value))
            fields.update(values=tuple(values), signed=kind_flag)
        elif kind == FUNC_PROTO:
            params = []
            for _ in range(vlen):
                param_name, param_type = struct.unpack_from("=II", types_data, position)
                position += 8
                params.append(Member(name(param_name), param_type, 0))
            fields["members"] = tuple(params)
        elif kind == FUNC:
            fields["linkage"] = vlen
        elif kind == VAR:
            (fields["linkage"],) = struct.unpack_from("=I", types_data, position)
            position += 4
        elif kind == DECL_TAG:
            (fields["component"],) = struct.unpack_from("=i", types_data, position)
            position += 4
        elif kind == DATASEC:
            variables = []
            for _ in range(vlen):
                var_type, offset, size = struct.unpack_from("=III", types_data, position)
                position += 12
                variables.append(Member("", var_type, 8 * offset, size))
            fields["members"] = tuple(variables)
        elif kind not in KIND_NAMES:
            raise ValueError(f"BTF type {next_id} has unknown kind {kind}")
        parsed[next_id] = BtfType(**fields)
        next_id += 1
    return Parsed(parsed, base_strings + strings, next_id - 1)


def resolve(types: Mapping[int, BtfType], type_id: int) -> tuple[BtfType | None, list[str]]:
    """The type behind typedefs and qualifiers, and the typedef names passed on the way."""
    names = []
    current = types.get(type_id)
    seen = 0
    while current is not None and current.kind in MODIFIERS and seen < 64:  # a loop in bad BTF ends
        if current.kind == TYPEDEF:
            names.append(current.name)
        current = types.get(current.ref)
        seen += 1
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

    def float_type(self, name: str, size: int) -> int:
        return self._add(("float", name, size), name, FLOAT, 0, size, b"")

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

    def copy(self, types: Mapping[int, BtfType], type_id: int) -> int:
        """Add type *type_id* of parsed *types* and every type it holds; returns its id here.

        Pointers are copied as pointers to a forward declaration of the named struct or union they
        point to (or to ``void``), so that a value's description does not pull in the whole graph
        behind its pointers.
        """
        if type_id == 0:
            return 0
        identity = ("copy", id(types), type_id)
        if identity in self._known:
            return self._known[identity]
        kind = types[type_id]
        if kind.kind == PTR:
            return self._add(identity, kind.name, PTR, 0, self._pointee(types, kind.ref), b"")
        refs: dict[str, Any] = {}
        if kind.kind in MODIFIERS or kind.kind in (VAR, FUNC, DECL_TAG):
            refs["ref"] = self.copy(types, kind.ref)
        elif kind.kind == ARRAY:
            refs["element"], refs["index"] = self.copy(types, kind.ref), self.copy(types, kind.index)
        elif kind.kind in (STRUCT, UNION, DATASEC, FUNC_PROTO):
            refs["members"] = [self.copy(types, member.type) for member in kind.members]
            if kind.kind == FUNC_PROTO:
                refs["ref"] = self.copy(types, kind.ref)
        return self._add(identity, kind.name, kind.kind, *self._encode(kind, refs), kind.kind_flag)

    def _pointee(self, types: Mapping[int, BtfType], ref: int) -> int:
        target, _ = resolve(types, ref)
        if target is not None and target.kind in (STRUCT, UNION, FWD) and target.name:
            union = target.kind == UNION or (target.kind == FWD and target.kind_flag)
            return self._add(("fwd", target.name, union), target.name, FWD, 0, 0, b"", union)
        return 0

    def _encode(self, kind: BtfType, refs: dict[str, Any]) -> tuple[int, int, bytes]:
        """(vlen, size or type, the bytes after the common header) of a copied type."""
        if kind.kind == INT:
            return 0, kind.size, struct.pack("=I", kind.encoding << 24 | kind.int_offset << 16 | kind.bits)
        if kind.kind == ARRAY:
            return 0, 0, struct.pack("=III", refs["element"], refs["index"], kind.nelems)
        if kind.kind in (STRUCT, UNION):
            offsets = [m.bitfield << 24 | m.bit_offset if kind.kind_flag else m.bit_offset for m in kind.members]
            extra = b"".join(
                struct.pack("=III", self._string(m.name), t, offset)
                for m, t, offset in zip(kind.members, refs["members"], offsets, strict=True)
            )
            return len(kind.members), kind.size, extra
        if kind.kind == ENUM:
            fmt = "=Ii" if kind.kind_flag else "=II"
            return len(kind.values), kind.size, b"".join(struct.pack(fmt, self._string(n), v) for n, v in kind.values)
        if kind.kind == ENUM64:
            extra = b"".join(
                struct.pack("=III", self._string(n), v & 0xFFFFFFFF, (v >> 32) & 0xFFFFFFFF) for n, v in kind.values
            )
            return len(kind.values), kind.size, extra
        if kind.kind == FUNC_PROTO:
            extra = b"".join(
                struct.pack("=II", self._string(m.name), t) for m, t in zip(kind.members, refs["members"], strict=True)
            )
            return len(kind.members), refs["ref"], extra
        if kind.kind == DATASEC:
            extra = b"".join(
                struct.pack("=III", t, m.bit_offset // 8, m.bitfield)
                for m, t in zip(kind.members, refs["members"], strict=True)
            )
            return len(kind.members), kind.size, extra
        if kind.kind == VAR:
            return 0, refs["ref"], struct.pack("=I", kind.linkage)
        if kind.kind == DECL_TAG:
            return 0, refs["ref"], struct.pack("=i", kind.component)
        if kind.kind == FUNC:
            return kind.linkage, refs["ref"], b""
        if kind.kind in (FLOAT, FWD):
            return 0, kind.size, b""
        return 0, refs["ref"], b""  # typedefs and qualifiers

    def blob(self) -> bytes:
        types = b"".join(self._types)
        header = HEADER.pack(MAGIC, 1, 0, HEADER.size, 0, len(types), len(types), len(self._strings))
        return header + types + bytes(self._strings)
