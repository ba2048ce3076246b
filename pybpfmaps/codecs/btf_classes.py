"""The classes BTF structs, unions and data sections decode to.

Structs and data sections become frozen attrs classes (bases ``BtfStruct``) whose fields are the
members (named by ``btf.names``); the bytes no member covers ride along in the attribute
``__pad__`` (not an attrs field, so ``attrs.asdict`` and ``attrs.evolve`` leave it out;
``__init__`` takes it by keyword): ``b""`` when they are zero, else the struct's size in bytes
with only those bytes set. It takes part in equality and hashing, so keys that differ only there
stay different keys. Unions become ``BtfUnion`` classes: the union's bytes, with every member
readable as an attribute (decoded from them) and written by construction: ``tag(mark=5)``,
``tag(old, class_id=3)``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from pybpfmaps.codecs.arrays import ArrayCodec
from pybpfmaps.codecs.base import FIELD_C_NAME, FIELD_CODEC
from pybpfmaps.errors import CodecError

if TYPE_CHECKING:
    from pybpfmaps.codecs.aggregates import AggregateCodec, Slot

__all__ = ["BtfStruct", "BtfUnion"]

PAD = "__pad__"
"""The field holding the bytes no member covers (``b""`` when they are all zero)."""


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
            slot = codec.by_name.get(name)
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


def _zero(slot: Slot) -> Any:
    return 0 if slot.bits else slot.codec.unpack(bytes(slot.codec.size))


def struct_class(codec: AggregateCodec) -> type[Any]:
    fields: dict[str, Any] = {}
    for slot in codec.slots:
        lock = slot.name in codec.keyword_only
        metadata = {FIELD_CODEC: slot.codec, FIELD_C_NAME: slot.c_name}
        fields[slot.name] = attrs.field(
            default=_zero(slot), metadata=metadata, kw_only=lock, eq=not lock, repr=not lock, alias=_alias(slot.name)
        )
    cls: type[Any] = attrs.make_class(
        codec.name, fields, bases=(BtfStruct,), frozen=True, init=False, repr=False, eq=False
    )
    cls.__init__ = _init(cls, codec)
    cls.__pbm_codec__ = codec
    cls.__pbm_key__ = attrgetter(*[slot.name for slot in codec.slots if slot.name not in codec.keyword_only], PAD)
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
        slot = codec.by_name.get(field.name)
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


def union_class(codec: AggregateCodec) -> type[Any]:
    namespace: dict[str, Any] = {"__slots__": (), "__pbm_codec__": codec, "__module__": __name__}
    for slot in codec.slots:
        namespace[slot.name] = _member(slot)
    cls = type(codec.name, (BtfUnion,), namespace)
    _forward_anonymous(cls, codec)
    return cls


def _forward_anonymous(cls: type[Any], codec: AggregateCodec) -> None:
    """Make the members of anonymous members readable as the class's own, as in C (``value.mark``)."""
    taken = {field.name for field in attrs.fields(cls)} if attrs.has(cls) else set()
    for outer, name in codec.anonymous_members():
        if name not in cls.__dict__ and name not in taken:
            setattr(cls, name, _forwarded(outer, name))


def _member(slot: Slot) -> property:
    def read(self: BtfUnion) -> Any:
        return slot.read(self.__pbm_bytes__)

    return property(read, doc=f"C member {slot.c_name!r}" if slot.c_name else "an anonymous member")


def _forwarded(outer: str, name: str) -> property:
    def read(self: object) -> Any:
        return getattr(getattr(self, outer), name)

    return property(read, doc=f"{outer}.{name}, as C reads the members of an anonymous member")
