"""Codecs for C structs, unions and data sections as BTF describes them, byte for byte.

Each member sits at the bit position the BTF gives: whole members at their byte offset,
bitfields as integers inside the bytes they share, union members over the same bytes. Bytes no
member covers (padding, unused bits of a bitfield's unit) are kept as they were read, so
``pack(unpack(data)) == data`` for any bytes. Instances are of the classes ``btf_classes`` makes.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from pybpfmaps.codecs._aggregate_fast import compile_fast
from pybpfmaps.codecs.arrays import ArrayCodec
from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.btf_classes import PAD, BtfStruct, BtfUnion, struct_class, union_class
from pybpfmaps.codecs.hooks import HEX, NoBtf, attrs_to_json, btf_type, from_json, hex_bytes, holds_spin_lock, to_json
from pybpfmaps.codecs.ints import IntCodec
from pybpfmaps.codecs.locks import SpinLockCodec
from pybpfmaps.codecs.structs import FieldLayout, gather
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__: list[str] = []


class BitfieldCodec(IntCodec):
    """The integer type of a bitfield member (``__u32 action : 4``): its range is that of *bits* bits.

    As a member's codec (``attrs.fields(cls).action.metadata[FIELD_CODEC]``) it says what the
    field takes; on its own it packs into its declared type's bytes.
    """

    __slots__ = ("bits",)

    def __init__(self, storage: IntCodec, bits: int, signed: bool) -> None:
        fmt = storage._format if storage.size <= 8 else ("=q" if signed else "=Q")
        super().__init__(f"{storage.name}:{bits}", fmt)
        self.bits = bits
        self.minimum = -(1 << (bits - 1)) if signed else 0
        self.maximum = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1

    def pack(self, value: int) -> bytes:
        return super().pack(self.check(value))

    def check(self, value: object) -> int:
        """*value* as an int, if it is one that fits in the bitfield."""
        if isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum:
            return int(value)
        raise self._error(value)


@attrs.frozen
class Slot:
    """Where one member lives: whole (``bits == 0``: its codec's bytes at ``offset``) or a bitfield
    (``bits`` bits, ``shift`` bits above the byte at ``offset``, in the host's little-endian order)."""

    name: str
    c_name: str
    codec: Codec[Any]
    offset: int
    bits: int = 0
    shift: int = 0

    @property
    def end(self) -> int:
        """The byte after the last one the member touches."""
        return self.offset + (self.codec.size if not self.bits else (self.shift + self.bits + 7) // 8)

    def read(self, data: bytes) -> Any:
        if not self.bits:
            return self.codec.unpack(data[self.offset : self.end])
        number = int.from_bytes(data[self.offset : self.end], "little") >> self.shift & ((1 << self.bits) - 1)
        if isinstance(self.codec, BitfieldCodec) and self.codec.minimum < 0 and number >> (self.bits - 1):
            number -= 1 << self.bits
        return number

    def write(self, buffer: bytearray, value: Any) -> None:
        if not self.bits:
            buffer[self.offset : self.end] = self.codec.pack(value)
            return
        number = self.codec.check(value) if isinstance(self.codec, BitfieldCodec) else int(value)
        mask = (1 << self.bits) - 1
        unit = int.from_bytes(buffer[self.offset : self.end], "little") & ~(mask << self.shift)
        buffer[self.offset : self.end] = (unit | (number & mask) << self.shift).to_bytes(
            self.end - self.offset, "little"
        )

    def covered(self) -> int:
        """The bits this member covers, as an int over the whole struct (little-endian)."""
        if not self.bits:
            return ((1 << 8 * self.codec.size) - 1) << 8 * self.offset
        return ((1 << self.bits) - 1) << (8 * self.offset + self.shift)


class AggregateCodec(Codec[Any]):
    """A struct, union or data section laid out as its BTF says; decodes to ``cls`` instances.

    ``pack`` takes an instance, a dict (Python or C member names), a tuple of member values in
    order (structs), or bytes of the exact size. ``origin`` is the BTF it came from: creating a map
    with it describes the keys or values with that very type.
    """

    __slots__ = ("_fast", "by_name", "cls", "keyword_only", "origin", "slots", "uncovered", "union")

    def __init__(self, name: str, size: int, align: int, slots: Sequence[Slot], *, union: bool, origin: Any) -> None:
        super().__init__(size, name, align)
        self.slots = tuple(slots)
        self.union = union
        self.origin = origin
        covered = 0
        for slot in self.slots:
            covered |= slot.covered()
        self.uncovered = ((1 << 8 * size) - 1) & ~covered
        python_names = {slot.name for slot in self.slots}
        self.by_name = {slot.name: slot for slot in self.slots} | {
            slot.c_name: slot for slot in self.slots if slot.c_name and slot.c_name not in python_names
        }
        self.keyword_only = frozenset(slot.name for slot in self.slots if isinstance(slot.codec, SpinLockCodec))
        self.cls: type[Any] = union_class(self) if union else struct_class(self)
        self._fast = compile_fast(self)

    def anonymous_members(self) -> list[tuple[str, str]]:
        """``(member, name)`` for every name readable through an anonymous member, as C reads ``value.mark``."""
        return [(slot.name, name) for slot in self.slots if not slot.c_name and isinstance(slot.codec, AggregateCodec)
                for name in _readable(slot.codec)]  # fmt: skip

    @property
    def fields(self) -> list[FieldLayout]:
        """Each member's name, byte offset, size (the bytes a bitfield touches) and codec, as ``StructCodec.fields``."""
        return [FieldLayout(slot.name, slot.offset, slot.end - slot.offset, slot.codec) for slot in self.slots]

    @property
    def hashable(self) -> bool:
        """Instances are frozen, so they can be dict keys."""
        return True

    def unpack(self, data: Buffer) -> Any:
        if self._fast is not None:
            return self._fast[0](data)
        data = bytes(data)
        if self.union:
            return self.cls(data)
        values = [slot.read(data) for slot in self.slots]
        keywords = {
            slot.name: value for slot, value in zip(self.slots, values, strict=True) if slot.name in self.keyword_only
        }
        if keywords:
            values = [
                value for slot, value in zip(self.slots, values, strict=True) if slot.name not in self.keyword_only
            ]
        if self.uncovered and data:
            rest = int.from_bytes(data, "little") & self.uncovered
            if rest:
                keywords[PAD] = rest.to_bytes(self.size, "little")
        return self.cls(*values, **keywords)

    def pack(self, value: Any) -> bytes:
        value = self.coerce(value)
        if self.union:
            return bytes(value.__pbm_bytes__)
        if self._fast is not None:
            try:
                return self._fast[1](value)
            except (struct.error, CodecError, TypeError, ValueError, OverflowError, AttributeError):
                pass  # member by member below: the error names the member
        buffer = bytearray(self.residue(getattr(value, PAD)))
        for slot in self.slots:
            try:
                slot.write(buffer, getattr(value, slot.name))
            except CodecError as exc:
                raise type(exc)(f"{self.name}.{slot.name}: {exc}") from None
            except (TypeError, ValueError, OverflowError) as exc:
                raise CodecTypeError(
                    f"{self.name}.{slot.name} cannot encode {getattr(value, slot.name)!r}: {exc}"
                ) from None
        return bytes(buffer)

    def pack_many(self, values: Iterable[Any]) -> bytes:
        return b"".join(map(self.pack, values))

    def unpack_many(self, data: Buffer, count: int) -> list[Any]:
        view = memoryview(data).cast("B")
        size = self.size
        return [self.unpack(view[i * size : (i + 1) * size]) for i in range(count)]

    def unpack_column(self, data: Buffer, count: int) -> Any:
        """A struct's members as columns, by name (as ``StructCodec.unpack_column``; a bitfield's is
        a list of ints; bytes no member covers are left out); a union's instances, as ``unpack_many``."""
        if self.union:
            return self.unpack_many(data, count)
        view = memoryview(data).cast("B")[: count * self.size]
        size = self.size
        columns: dict[str, Any] = {}
        for slot in self.slots:
            if slot.bits:
                columns[slot.name] = [slot.read(bytes(view[row : row + size])) for row in range(0, count * size, size)]
            else:
                member = gather(view, slot.offset, slot.codec.size, size, count)
                columns[slot.name] = slot.codec.unpack_column(member, count)
        return columns

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def field_converter(self) -> Callable[[Any], Any]:
        return self.coerce

    def coerce(self, value: Any) -> Any:
        """An instance of ``cls`` for what ``pack`` takes."""
        if type(value) is self.cls:
            return value
        if isinstance(value, (BtfStruct, BtfUnion)) and self._same_layout(type(value).__pbm_codec__):
            return self.unpack(type(value).__pbm_codec__.pack(value))  # the same type, made from another BTF
        if isinstance(value, (bytes, bytearray, memoryview)):
            if len(value) != self.size:
                raise CodecError(
                    f"{self.name} cannot encode {bytes(value)!r}: {len(value)} bytes, expected {self.size}"
                )
            return self.unpack(value)
        if isinstance(value, dict):
            unknown = [key for key in value if key not in self.by_name and (key != PAD or self.union)]
            if unknown:
                raise CodecError(f"{self.name} has no member {unknown[0]!r}")
            members = {key if key == PAD else self.by_name[key].name: item for key, item in value.items()}
            return self._build(value, (), members)
        if isinstance(value, (tuple, list)) and not self.union:
            if len(value) > len(self.slots):
                raise CodecError(f"{self.name} cannot encode {value!r}: more than its {len(self.slots)} members")
            return self._build(value, value, {})
        kind = "a dict of members or bytes" if self.union else "a tuple of its member values, a dict, or bytes"
        expected = f"expected an instance of {self.cls.__name__}, {kind}"
        raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): {expected}")

    def _build(self, given: object, positional: Sequence[Any], keywords: dict[str, Any]) -> Any:
        try:
            return self.cls(*positional, **keywords)
        except CodecError as exc:  # a member's converter refused its value
            raise type(exc)(f"{self.name}: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise CodecTypeError(f"{self.name} cannot be built from {given!r}: {exc}") from None

    def _same_layout(self, other: AggregateCodec) -> bool:
        """Whether *other* lays out the same members in the same places (the same C type from another BTF blob)."""
        mine = [(slot.name, slot.offset, slot.bits, slot.shift, slot.codec.size) for slot in self.slots]
        theirs = [(slot.name, slot.offset, slot.bits, slot.shift, slot.codec.size) for slot in other.slots]
        return other.size == self.size and other.union == self.union and mine == theirs

    def residue(self, residue: object) -> bytes:
        if not residue:
            return bytes(self.size)
        if not isinstance(residue, (bytes, bytearray)) or len(residue) != self.size:
            raise CodecError(f"{self.name}.{PAD} must be b'' or {self.size} bytes, got {residue!r}")
        if int.from_bytes(residue, "little") & ~self.uncovered:
            raise CodecError(f"{self.name}.{PAD} may only set bytes no member covers, got {bytes(residue)!r}")
        return bytes(residue)


def _readable(codec: AggregateCodec) -> list[str]:
    names = [slot.name for slot in codec.slots]
    for slot in codec.slots:
        if not slot.c_name and isinstance(slot.codec, AggregateCodec):
            names += _readable(slot.codec)
    return names


def untyped_parts(codec: Codec[Any], where: str = "") -> list[str]:
    """Every part of *codec* that stayed raw bytes for want of a type, as ``"path: reason"``."""
    reason = getattr(codec, "reason", None)
    if reason:
        return [f"{where or codec.name}: {reason}"]
    if isinstance(codec, AggregateCodec):
        return [
            part for slot in codec.slots for part in untyped_parts(slot.codec, f"{where or codec.name}.{slot.name}")
        ]
    if isinstance(codec, ArrayCodec):
        return untyped_parts(codec.element, f"{where or codec.name}[]")
    return []


def little_endian() -> bool:
    """Bitfield positions are read in little-endian order; big-endian hosts keep such structs raw."""
    return sys.byteorder == "little"


@btf_type.register(AggregateCodec)
def _(codec: AggregateCodec, builder: Builder) -> int:
    """That very type, as the BTF it was read from describes it."""
    if codec.origin is None:
        raise NoBtf(f"{codec.name} was resized to fill a map and has no BTF of its own")
    types, type_id = codec.origin
    return builder.copy(types, type_id)


@holds_spin_lock.register(AggregateCodec)
def _(codec: AggregateCodec) -> bool:
    return not codec.union and any(isinstance(slot.codec, SpinLockCodec) for slot in codec.slots)


@from_json.register(AggregateCodec)
def _(codec: AggregateCodec, value: Any, role: str, *, text: bool = False) -> Any:
    """An instance from a JSON object keyed by Python or C member names (``__pad__`` as ``hex:``), or ``hex:`` bytes."""
    if isinstance(value, str) and value.startswith(HEX):
        return hex_bytes(value, role, codec.size, exact=True)
    if not isinstance(value, dict):
        return value  # the codec names what it takes
    members: dict[str, Any] = {}
    by_name = {slot.name: slot for slot in codec.slots} | {slot.c_name: slot for slot in codec.slots if slot.c_name}
    for key, item in value.items():
        if key == PAD and not codec.union:
            members[PAD] = hex_bytes(item, role, codec.size, exact=True) if item else b""
            continue
        slot = by_name.get(key)  # C names first: they are what to_json writes
        if slot is None:
            raise BpfArgumentError(f"bad {role}: {codec.name} has no member {key!r}")
        members[slot.name] = from_json(slot.codec, item, role)
    return codec.cls(**members)


@to_json.register(AggregateCodec)
def _(codec: AggregateCodec, value: Any) -> Any:
    """A JSON object keyed by C member names, with the bytes no member covers as ``"__pad__": "hex:..."``."""
    if isinstance(value, BtfUnion):
        codec = type(value).__pbm_codec__
        return {slot.c_name or slot.name: to_json(slot.codec, getattr(value, slot.name)) for slot in codec.slots}
    if not attrs.has(type(value)):
        return to_json.dispatch(object)(codec, value)
    shown = attrs_to_json(value, codec)
    if isinstance(value, BtfStruct) and value.__pad__:
        shown[PAD] = HEX + value.__pad__.hex()
    return shown
