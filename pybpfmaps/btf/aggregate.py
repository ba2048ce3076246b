"""Codecs for C structs, unions and data sections as BTF describes them, byte for byte.

Each member sits at the bit position the BTF gives: whole members at their byte offset,
bitfields as integers inside the bytes they share, union members over the same bytes. Bytes no
member covers (padding, unused bits of a bitfield's unit) are kept as they were read, so
``pack(unpack(data)) == data`` for any bytes.

Structs and data sections become frozen attrs classes whose fields are the members (named by
``names``); the uncovered bytes ride along in the attribute ``__pad__`` (not an attrs field, so
``attrs.asdict`` and ``attrs.evolve`` leave it out; ``__init__`` takes it by keyword): ``b""`` when
they are zero, else the struct's size in bytes with only those bytes set. It takes part in
equality and hashing, so keys that differ only there stay different keys. Unions become ``BtfUnion``
classes: the union's bytes, with every member readable as an attribute (decoded from them) and
written by construction: ``tag(mark=5)``, ``tag(old, class_id=3)``.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, ClassVar

import attrs

from pybpfmaps.codec import FIELD_CODEC, Buffer, Codec, IntCodec, StructMember
from pybpfmaps.errors import CodecError, CodecTypeError
from pybpfmaps.layout import FieldLayout
from pybpfmaps.scalar import ArrayCodec, FloatCodec, SpinLockCodec

PAD = "__pad__"
"""The field holding the bytes no member covers (``b""`` when they are all zero)."""
C_NAME = "pybpfmaps.c_name"
"""The attrs field metadata key of a member's C name ("" for an anonymous member)."""


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

    __slots__ = ("_by_name", "_fast", "_keyword", "_uncovered", "cls", "origin", "slots", "union")

    def __init__(self, name: str, size: int, align: int, slots: Sequence[Slot], *, union: bool, origin: Any) -> None:
        super().__init__(size, name, align)
        self.slots = tuple(slots)
        self.union = union
        self.origin = origin
        covered = 0
        for slot in self.slots:
            covered |= slot.covered()
        self._uncovered = ((1 << 8 * size) - 1) & ~covered
        python_names = {slot.name for slot in self.slots}
        self._by_name = {slot.name: slot for slot in self.slots} | {
            slot.c_name: slot for slot in self.slots if slot.c_name and slot.c_name not in python_names
        }
        self._keyword = frozenset(slot.name for slot in self.slots if isinstance(slot.codec, SpinLockCodec))
        self.cls: type[Any] = _union_class(self) if union else _struct_class(self)
        self._fast = _compile(self)

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
            slot.name: value for slot, value in zip(self.slots, values, strict=True) if slot.name in self._keyword
        }
        if keywords:
            values = [value for slot, value in zip(self.slots, values, strict=True) if slot.name not in self._keyword]
        if self._uncovered and data:
            rest = int.from_bytes(data, "little") & self._uncovered
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
        buffer = bytearray(self._residue(getattr(value, PAD)))
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
            unknown = [key for key in value if key not in self._by_name and (key != PAD or self.union)]
            if unknown:
                raise CodecError(f"{self.name} has no member {unknown[0]!r}")
            members = {key if key == PAD else self._by_name[key].name: item for key, item in value.items()}
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

    def _residue(self, residue: object) -> bytes:
        if not residue:
            return bytes(self.size)
        if not isinstance(residue, (bytes, bytearray)) or len(residue) != self.size:
            raise CodecError(f"{self.name}.{PAD} must be b'' or {self.size} bytes, got {residue!r}")
        if int.from_bytes(residue, "little") & ~self._uncovered:
            raise CodecError(f"{self.name}.{PAD} may only set bytes no member covers, got {bytes(residue)!r}")
        return bytes(residue)


_UNSET: Any = object()


class BtfStruct:
    """Base of the attrs classes made for BTF structs: equality, hashing and ``repr`` over the
    fields and ``__pad__`` (shown only when it holds bytes)."""

    __pbm_codec__: ClassVar[AggregateCodec]
    __pbm_key__: ClassVar[Callable[[Any], Any]]
    __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]
    __pad__: bytes = b""

    def __getattr__(self, name: str) -> Any:  # only for names that are not members: say which are
        raise _no_member(self, name)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = type(self).__pbm_key__
        return bool(key(self) == key(other))

    def __hash__(self) -> int:
        return hash((type(self), type(self).__pbm_key__(self)))

    def __repr__(self) -> str:
        cls: Any = type(self)
        shown = [f"{field.name}={getattr(self, field.name)!r}" for field in attrs.fields(cls) if field.repr]
        if self.__pad__:
            shown.append(f"{PAD}={self.__pad__!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


class BtfUnion:
    """Base of the classes made for BTF unions: the union's bytes, every member an attribute.

    ``U(**members)`` writes each member given over zeroed bytes, in the order given (a later
    member's bytes win where they overlap); ``U(other, **members)`` starts from another value of
    the union (or its bytes). Equal when the bytes are.
    """

    __slots__ = ("__pbm_bytes__",)
    __pbm_codec__: ClassVar[AggregateCodec]
    __pbm_bytes__: bytes

    def __init__(self, __pbm_from__: Any = None, /, **members: Any) -> None:
        codec = type(self).__pbm_codec__
        if __pbm_from__ is None:
            buffer = bytearray(codec.size)
        elif isinstance(__pbm_from__, BtfUnion):
            buffer = bytearray(__pbm_from__.__pbm_bytes__)
        else:
            buffer = bytearray(__pbm_from__)
        if len(buffer) != codec.size:
            raise CodecError(f"{codec.name} is {codec.size} bytes, got {len(buffer)}")
        for name, value in members.items():
            slot = codec._by_name.get(name)
            if slot is None:
                raise TypeError(f"{codec.name} has no member {name!r}")
            try:
                slot.write(buffer, value)
            except CodecError as exc:
                raise type(exc)(f"{codec.name}.{slot.name}: {exc}") from None
        object.__setattr__(self, "__pbm_bytes__", bytes(buffer))

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __getattr__(self, name: str) -> Any:  # only for names that are not members: say which are
        raise _no_member(self, name)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self.__pbm_bytes__ == other.__pbm_bytes__)

    def __hash__(self) -> int:
        return hash((type(self), self.__pbm_bytes__))

    def __bytes__(self) -> bytes:
        return bytes(self.__pbm_bytes__)

    def __repr__(self) -> str:
        codec = type(self).__pbm_codec__
        shown = ", ".join(f"{slot.name}={slot.read(self.__pbm_bytes__)!r}" for slot in codec.slots)
        return f"{type(self).__name__}({shown})"


def _no_member(value: object, name: str) -> AttributeError:
    codec = type(value).__pbm_codec__  # type: ignore[attr-defined]
    members = ", ".join(slot.name for slot in codec.slots)
    return AttributeError(
        f"{type(value).__name__} has no member {name!r} (its members: {members})", name=name, obj=value
    )


FAST_MEMBERS = 4096
"""Structs of more members than this take the general path: generating code for them costs more than it saves."""


def _compile(codec: AggregateCodec) -> tuple[Callable[[Any], Any], Callable[[Any], bytes]] | None:
    """Generated ``unpack(data)`` and ``pack(obj)`` for a struct whose members are whole and apart.

    One ``struct`` call reads or writes every member; values go straight into the instance (they
    are what the members decode to, so ``__init__``'s conversions have nothing to do); the bytes no
    member covers are kept with one integer mask, as in the general path. Structs with bitfields,
    overlapping members and unions take the general path.
    """
    slots = sorted(codec.slots, key=lambda slot: slot.offset)
    if codec.union or any(slot.bits for slot in slots) or len(slots) > FAST_MEMBERS:
        return None
    formats, position = ["<"], 0
    namespace: dict[str, Any] = {"cls": codec.cls, "new": object.__new__, "set": object.__setattr__,
                                 "from_bytes": int.from_bytes, "uncovered": codec._uncovered, "size": codec.size,
                                 "residue": codec._residue}  # fmt: skip
    items, pack_args = [], []
    for index, slot in enumerate(slots):
        if slot.offset < position:
            return None  # members that overlap
        if slot.offset > position:
            formats.append(f"{slot.offset - position}x")
        member = slot.codec.struct_member("<" if sys.byteorder == "little" else ">")
        if isinstance(slot.codec, FloatCodec) or struct.calcsize("<" + member.format) != slot.codec.size:
            member = StructMember(f"{slot.codec.size}s", slot.codec.pack, slot.codec.unpack)  # exact bits
        formats.append(member.format)
        value = f"v[{index}]"
        if member.decode is not None:
            namespace[f"decode{index}"] = member.decode
            value = f"decode{index}({value})"
        items.append(f"{slot.name!r}: {value}")
        read = f"obj.{slot.name}"
        if member.encode is not None:
            namespace[f"encode{index}"] = member.encode
            read = f"encode{index}({read})"
        pack_args.append(read)
        position = slot.end
    if position < codec.size:
        formats.append(f"{codec.size - position}x")
    compiled = struct.Struct("".join(formats))
    if compiled.size != codec.size:
        return None
    namespace["struct_unpack"], namespace["struct_pack"] = compiled.unpack, compiled.pack
    source = f"""
def unpack(data):
    v = struct_unpack(data)
    obj = new(cls)
    members = {{{", ".join(items)}}}
    if uncovered:
        rest = from_bytes(data, "little") & uncovered
        if rest:
            members["__pad__"] = rest.to_bytes(size, "little")
    set(obj, "__dict__", members)
    return obj

def pack(obj):
    data = struct_pack({", ".join(pack_args)})
    pad = obj.__pad__
    if pad:
        data = (from_bytes(data, "little") | from_bytes(residue(pad), "little")).to_bytes(size, "little")
    return data
"""
    exec(compile(source, f"<pybpfmaps BTF codec {codec.name}>", "exec"), namespace)
    return namespace["unpack"], namespace["pack"]


def _zero(slot: Slot) -> Any:
    return 0 if slot.bits else slot.codec.unpack(bytes(slot.codec.size))


def _struct_class(codec: AggregateCodec) -> type[Any]:
    fields: dict[str, Any] = {}
    for slot in codec.slots:
        lock = slot.name in codec._keyword
        metadata = {FIELD_CODEC: slot.codec, C_NAME: slot.c_name}
        fields[slot.name] = attrs.field(
            default=_zero(slot), metadata=metadata, kw_only=lock, eq=not lock, repr=not lock, alias=_alias(slot.name)
        )
    cls: type[Any] = attrs.make_class(
        codec.name, fields, bases=(BtfStruct,), frozen=True, init=False, repr=False, eq=False
    )
    cls.__init__ = _init(cls, codec)
    cls.__pbm_codec__ = codec
    cls.__pbm_key__ = attrgetter(*[slot.name for slot in codec.slots if slot.name not in codec._keyword], PAD)
    _forward_anonymous(cls, codec)
    return cls


_ATTRS_LOCALS = frozenset({"self", "object", "attr_dict", "NOTHING"})


def _alias(name: str) -> str:
    """The name attrs' own generated code gives a field's argument: the field's name, unless attrs
    might use that name itself (``self``, ``_setattr``...); then a dunder name, which is never a member's."""
    return f"__pbm_{name}__" if name.startswith("_") or name in _ATTRS_LOCALS else name


def _init(cls: type[Any], codec: AggregateCodec) -> Callable[..., None]:
    """The class's ``__init__``: its own, not attrs', whose locals (``self`` and the like) a C member
    name could take. Every local here is a dunder name, which the naming rule never gives a member.

    It takes each field by its name, and also by its attrs alias where that differs (as
    ``attrs.evolve`` passes them); a name given wins over an alias.
    """
    namespace: dict[str, Any] = {"__pbmi_set__": object.__setattr__, "__pbmi_unset__": _UNSET}
    positional: list[str] = []
    keywords: list[str] = []
    body: list[str] = []
    for index, field in enumerate(attrs.fields(cls)):
        namespace[f"__pbmi_d{index}__"] = field.default
        parameter = f"{field.name}=__pbmi_d{index}__"
        value = field.name
        if field.alias != field.name:
            parameter = f"{field.name}=__pbmi_unset__"
            keywords.append(f"{field.alias}=__pbmi_d{index}__")
            body.append(f"    if {value} is __pbmi_unset__:\n        {value} = {field.alias}")
        (keywords if field.kw_only else positional).append(parameter)
        slot = codec._by_name.get(field.name)
        converter = None
        if slot is not None and not slot.bits:
            converter = _as_tuple if isinstance(slot.codec, ArrayCodec) else slot.codec.field_converter()
        if converter is not None:
            namespace[f"__pbmi_c{index}__"] = converter
            value = f"__pbmi_c{index}__({value})"
        body.append(f"    __pbmi_set__(__pbmi_self__, {field.name!r}, {value})")
    keywords.append(f"{PAD}=b''")
    body.append(f"    if {PAD}:\n        __pbmi_set__(__pbmi_self__, {PAD!r}, {PAD})")
    signature = ", ".join(["__pbmi_self__", *positional, "*", *keywords])
    source = f"def __init__({signature}):\n" + "\n".join(body) + "\n"
    exec(compile(source, f"<pybpfmaps BTF class {codec.name}>", "exec"), namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    return init


def _as_tuple(value: Any) -> Any:
    """Arrays given as lists are kept as tuples, so that instances stay hashable."""
    return tuple(value) if isinstance(value, list) else value


def _union_class(codec: AggregateCodec) -> type[Any]:
    namespace: dict[str, Any] = {"__slots__": (), "__pbm_codec__": codec, "__module__": __name__}
    for slot in codec.slots:
        namespace[slot.name] = _member(slot)
    cls = type(codec.name, (BtfUnion,), namespace)
    _forward_anonymous(cls, codec)
    return cls


def _forward_anonymous(cls: type[Any], codec: AggregateCodec) -> None:
    """Make the members of anonymous members readable as the class's own, as in C (``value.mark``)."""
    taken = {field.name for field in attrs.fields(cls)} if attrs.has(cls) else set()
    for slot in codec.slots:
        inner = slot.codec
        if slot.c_name or not isinstance(inner, AggregateCodec):
            continue
        for name in _readable(inner):
            if name not in cls.__dict__ and name not in taken:
                setattr(cls, name, _forwarded(slot.name, name))


def _member(slot: Slot) -> property:
    def read(self: BtfUnion) -> Any:
        return slot.read(self.__pbm_bytes__)

    return property(read, doc=f"C member {slot.c_name!r}" if slot.c_name else "an anonymous member")


def _forwarded(outer: str, name: str) -> property:
    def read(self: object) -> Any:
        return getattr(getattr(self, outer), name)

    return property(read, doc=f"{outer}.{name}, as C reads the members of an anonymous member")


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
