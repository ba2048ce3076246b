"""Codecs for BTF types: the keys and values of a map that describes itself, and any type of a BTF blob.

Leaf types decode to the codec their module registered for that shape (``codecs.hooks.BTF_SHAPES``:
integers, ``_Bool``, floats, ``__be16``/``__be32``/``__be64`` typedefs in network order, ``struct
in_addr``/``in6_addr`` as addresses, ``char`` arrays as text); structs, unions and data sections
become ``AggregateCodec`` classes, enums ``IntEnum`` classes, other arrays tuples. A member that
cannot be typed stays raw bytes inside a typed struct; a type that cannot be typed at all becomes
``raw`` bytes with the ``reason`` why, so opening a map never fails for its types.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from pybpfmaps.btf import format as btf
from pybpfmaps.btf.names import class_name, is_dunder, member_names, python_name
from pybpfmaps.codecs.aggregates import AggregateCodec, BitfieldCodec, Slot, little_endian
from pybpfmaps.codecs.arrays import array
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.booleans import BoolCodec
from pybpfmaps.codecs.enums import IntEnumCodec, int_enum
from pybpfmaps.codecs.hooks import BTF_SHAPES
from pybpfmaps.codecs.ints import IntCodec, u8, u64
from pybpfmaps.codecs.raw_bytes import RawCodec

POINTER_SIZE = 8
"""Pointers in BPF programs' BTF (and 64-bit kernels') are 8 bytes; they decode as ``u64``."""


class CannotType(Exception):
    """A BTF type that has no codec; the message says why."""


def untyped(size: int, reason: str) -> RawCodec:
    """The raw bytes of something that could not be typed, with the reason."""
    return RawCodec(size, reason=reason)


class Decoder:
    """Codecs for the types of one BTF object, made once per type."""

    def __init__(self, types: Mapping[int, btf.BtfType]) -> None:
        self.types = types
        self._made: dict[int, Codec[Any] | CannotType] = {}
        self._making: set[int] = set()

    def codec(self, type_id: int, size: int | None = None) -> Codec[Any]:
        """The codec of type *type_id*, which must be *size* bytes if given; never raises.

        A struct ending in a flexible array (``__u8 data[]``) grows it to fill *size*. What cannot
        be typed, or does not have that size, is ``raw`` bytes whose ``reason`` says why.
        """
        try:
            made = self.make(type_id)
            if size is not None and made.size != size:
                made = self._fill(type_id, made, size)
        except CannotType as exc:
            fallback = size if size is not None else type_size(self.types, type_id) or 0
            return untyped(fallback, str(exc))
        return made

    def make(self, type_id: int, hint: str = "") -> Codec[Any]:
        """The codec of type *type_id*; raises ``CannotType`` with the reason if it has none.

        *hint* names an anonymous struct, union or enum (``flags_tag`` for the type of member ``tag``
        of ``struct flags``) when it is made here first.
        """
        made = self._made.get(type_id)
        if made is None:
            if type_id in self._making:
                raise CannotType(f"type {type_id} contains itself")
            self._making.add(type_id)
            try:
                made = self._make(type_id, hint)
            except CannotType as exc:
                made = exc
            except Exception as exc:  # BTF no compiler writes: that type stays bytes, with the reason
                made = CannotType(f"type {type_id}: {type(exc).__name__}: {exc}")
            finally:
                self._making.discard(type_id)
            self._made[type_id] = made
        if isinstance(made, CannotType):
            raise made
        return made

    def _make(self, type_id: int, hint: str) -> Codec[Any]:
        kind, typedefs = btf.resolve(self.types, type_id)
        if kind is None:
            raise CannotType("void" if type_id == 0 else f"type id {type_id} is not in this BTF")
        for name in typedefs:
            codec = BTF_SHAPES.typedefs.get(name)
            if codec is not None and kind.kind == btf.INT and kind.size == codec.size:
                return codec
        if kind.kind == btf.INT:
            if kind.encoding & btf.INT_BOOL and kind.size == 1 and BTF_SHAPES.boolean is not None:
                return BTF_SHAPES.boolean
            if (kind.size, kind.signed) not in BTF_SHAPES.ints:
                raise CannotType(f"{kind.size}-byte integers ({kind.name}) have no codec")
            return BTF_SHAPES.ints[(kind.size, kind.signed)]
        if kind.kind == btf.PTR:
            return u64
        if kind.kind in (btf.ENUM, btf.ENUM64):
            return self._enum(type_id, kind, typedefs, hint)
        if kind.kind == btf.ARRAY:
            return self._array(kind, hint=hint)
        if kind.kind in (btf.STRUCT, btf.UNION, btf.DATASEC):
            special = BTF_SHAPES.structs.get((kind.name, kind.size)) if kind.kind == btf.STRUCT else None
            return special or self._aggregate(type_id, kind, typedefs, hint=hint)
        if kind.kind == btf.FLOAT:
            if kind.size not in BTF_SHAPES.floats:
                raise CannotType(f"{kind.size}-byte floats ({kind.name}) have no Python type")
            return BTF_SHAPES.floats[kind.size]
        if kind.kind == btf.VAR:
            return self.make(kind.ref, hint)
        if kind.kind == btf.FWD:
            raise CannotType(f"{kind.name or 'a type'} is only declared here (a forward declaration)")
        raise CannotType(f"a {btf.KIND_NAMES.get(kind.kind, f'kind {kind.kind}')} is not data")

    def _enum(self, type_id: int, kind: btf.BtfType, typedefs: list[str], hint: str) -> Codec[Any]:
        base = BTF_SHAPES.ints.get((kind.size, kind.signed))
        if base is None or kind.size > 8:
            raise CannotType(f"{kind.size}-byte enums have no codec")
        if not kind.values:
            return base
        name = class_name(kind.name or (typedefs[0] if typedefs else ""), hint or f"enum_{type_id}")
        return int_enum(_int_enum(name, kind.values), base)

    def _array(self, kind: btf.BtfType, length: int | None = None, hint: str = "") -> Codec[Any]:
        count = kind.nelems if length is None else length
        element, typedefs = btf.resolve(self.types, kind.ref)
        if count and element is not None and element.kind == btf.INT and element.size == 1:
            if element.name == "char" and not typedefs and BTF_SHAPES.char_array:  # char name[16]: text
                return BTF_SHAPES.char_array(count)
            if not element.encoding & btf.INT_BOOL and BTF_SHAPES.byte_array:  # __u8 data[6], unsigned char buf[4]
                return BTF_SHAPES.byte_array(count)
        return array(self.make(kind.ref, hint), count)

    def _aggregate(
        self, type_id: int, kind: btf.BtfType, typedefs: list[str], grow: int = 0, hint: str = ""
    ) -> AggregateCodec:
        """A struct, union or data section; *grow* more elements for a trailing flexible array."""
        fallback = {btf.STRUCT: "struct", btf.UNION: "union", btf.DATASEC: "section"}[kind.kind]
        name = class_name(kind.name or (typedefs[0] if typedefs else ""), hint or f"{fallback}_{type_id}")
        if kind.kind == btf.DATASEC:
            c_names = [
                self.types[variable.type].name if variable.type in self.types else "" for variable in kind.members
            ]
        else:
            c_names = [member.name for member in kind.members]
        names = member_names(c_names)
        slots = [
            self._slot(kind, member, python, c_name, grow if index == len(kind.members) - 1 else 0, f"{name}_{python}")
            for index, (member, python, c_name) in enumerate(zip(kind.members, names, c_names, strict=True))
        ]
        size = kind.size + (self._grown_bytes(kind, grow) if grow else 0)
        for slot in slots:
            if slot.end > size:
                raise CannotType(f"{name}.{slot.name} ends at byte {slot.end}, past the {size} bytes of {name}")
        align = max((slot.codec.align for slot in slots if not slot.bits), default=1)
        origin = (self.types, type_id) if not grow else None
        return AggregateCodec(name, size, align, slots, union=kind.kind == btf.UNION, origin=origin)

    def _slot(self, parent: btf.BtfType, member: btf.Member, name: str, c_name: str, grow: int, hint: str) -> Slot:
        if parent.kind == btf.DATASEC:
            try:
                codec = self.make(member.type, hint)
            except CannotType as exc:
                codec = untyped(member.bitfield, str(exc)) if member.bitfield else _raise(exc)
            if codec.size != member.bitfield:
                codec = untyped(member.bitfield, f"{c_name} is {member.bitfield} bytes, its type {codec.size}")
            return Slot(name, c_name, codec, member.bit_offset // 8)
        target, _ = btf.resolve(self.types, member.type)
        bits, start = member.bitfield, member.bit_offset
        if (
            not bits
            and target is not None
            and target.kind == btf.INT
            and (target.int_offset or target.bits != 8 * target.size)
        ):
            bits, start = target.bits, start + target.int_offset  # an old-style bitfield: the int type says
        if bits or start % 8:
            return self._bitfield(member, name, c_name, bits or 8 * (type_size(self.types, member.type) or 0), start)
        if grow and target is not None and target.kind == btf.ARRAY:
            return Slot(name, c_name, self._array(target, grow, hint), start // 8)
        try:
            codec = self.make(member.type, hint)
        except CannotType as exc:
            size = type_size(self.types, member.type)
            if size is None:
                raise CannotType(f"{c_name or 'an anonymous member'}: {exc}") from None
            codec = untyped(size, str(exc))  # this member stays bytes; the rest of the struct is typed
        return Slot(name, c_name, codec, start // 8)

    def _bitfield(self, member: btf.Member, name: str, c_name: str, bits: int, start: int) -> Slot:
        if not little_endian():
            raise CannotType("bitfields are only decoded on little-endian hosts")
        try:
            storage = self.make(member.type)
        except CannotType as exc:
            raise CannotType(f"bitfield {c_name}: {exc}") from None
        if isinstance(storage, IntEnumCodec):
            storage = storage.base
        elif isinstance(storage, BoolCodec):
            storage = u8
        if not isinstance(storage, IntCodec) or not 0 < bits <= 8 * storage.size:
            raise CannotType(f"bitfield {c_name} of {bits} bits in a {storage!r}")
        codec = BitfieldCodec(storage, bits, storage.minimum < 0)
        return Slot(name, c_name, codec, start // 8, bits=bits, shift=start % 8)

    def _fill(self, type_id: int, made: Codec[Any], size: int) -> Codec[Any]:
        """*made* grown to *size* bytes through its trailing flexible array, if it has one that fits."""
        kind, typedefs = btf.resolve(self.types, type_id)
        problem = f"its BTF type {made!r} is {made.size} bytes, not {size}"
        if kind is None or kind.kind != btf.STRUCT or not kind.members or made.size > size:
            raise CannotType(problem)
        last = kind.members[-1]
        array_type, _ = btf.resolve(self.types, last.type)
        element = (
            type_size(self.types, array_type.ref) if array_type is not None and array_type.kind == btf.ARRAY else None
        )
        if array_type is None or array_type.nelems or not element or (size - kind.size) % element:
            raise CannotType(problem)
        return self._aggregate(type_id, kind, typedefs, grow=(size - kind.size) // element)

    def _grown_bytes(self, kind: btf.BtfType, grow: int) -> int:
        array_type, _ = btf.resolve(self.types, kind.members[-1].type)
        assert array_type is not None
        return grow * (type_size(self.types, array_type.ref) or 0)


def _raise(exc: CannotType) -> Codec[Any]:
    raise exc


def type_size(types: Mapping[int, btf.BtfType], type_id: int) -> int | None:
    """The size in bytes of a type, if it has one."""
    kind, _ = btf.resolve(types, type_id)
    depth = 0
    while kind is not None and kind.kind == btf.VAR and depth < 64:
        kind, _ = btf.resolve(types, kind.ref)
        depth += 1
    if kind is None:
        return None
    if kind.kind == btf.PTR:
        return POINTER_SIZE
    if kind.kind == btf.ARRAY:
        element = type_size(types, kind.ref)
        return None if element is None else element * kind.nelems
    if kind.kind in (btf.INT, btf.ENUM, btf.ENUM64, btf.STRUCT, btf.UNION, btf.FLOAT, btf.DATASEC):
        return kind.size
    return None


def _int_enum(name: str, values: tuple[tuple[str, int], ...]) -> type[enum.IntEnum]:
    """An ``IntEnum`` of the C enumerators, named by the rule; names ``Enum`` reserves get a ``_`` more."""
    members: dict[str, int] = {}
    for c_name, value in values:
        python = python_name(c_name) if c_name else "VALUE"
        if _reserved_by_enum(python):
            python += "_"
        while python in members:
            python += "_"
        members[python] = value
    try:
        return enum.IntEnum(name, members)  # type: ignore[return-value]
    except (ValueError, TypeError):  # a name Enum refuses that the checks above do not know
        return enum.IntEnum(name, {f"VALUE_{index}": value for index, value in enumerate(members.values())})  # type: ignore[return-value]


def _reserved_by_enum(name: str) -> bool:
    sunder = len(name) > 2 and name[0] == "_" and name[1] != "_" and name[-1] == "_" and name[-2] != "_"
    return sunder or is_dunder(name) or name == "mro"
