"""``int_enum(E, base)``: an ``enum.IntEnum`` stored as an integer type; values the enum lacks stay ints."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pybpfmaps.codecs.base import Codec, StructMember
from pybpfmaps.codecs.hooks import btf_type, from_json, is_int
from pybpfmaps.codecs.ints import IntCodec, u32
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["int_enum"]

E = TypeVar("E", bound=enum.IntEnum)


class IntEnumCodec(Codec[E], Generic[E]):
    """An ``enum.IntEnum`` stored as the integer type *base*.

    Takes members, their names, or plain ints in the range of *base*; decodes to members, and values the enum
    lacks (written by someone else) to plain ints, so that whatever is read can be written back.
    """

    __slots__ = ("_base", "enum")

    def __init__(self, enum_class: type[E], base: IntCodec) -> None:
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.IntEnum)):
            raise CodecTypeError(f"int_enum() needs an enum.IntEnum subclass, got {enum_class!r}")
        if not isinstance(base, IntCodec):
            raise CodecTypeError(f"int_enum() needs an integer codec such as u32 as base, got {base!r}")
        super().__init__(base.size, f"int_enum({enum_class.__name__}, {base.name})", base.align)
        self.enum = enum_class
        self._base = base

    @property
    def base(self) -> IntCodec:
        """The integer type the enum is stored as."""
        return self._base

    def pack(self, value: E | int) -> bytes:
        return self._base.pack(self._check(value))

    def unpack(self, data: bytes) -> E:
        result: E = self._decode(self._base.unpack(data))
        return result

    def struct_member(self, order: str = "=") -> StructMember:
        fmt, encode, decode = self._base.struct_member(order)
        if encode is None and decode is None:
            return StructMember(fmt, self._check, self._decode)
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def field_converter(self) -> Callable[[Any], Any]:
        return self._decode

    def _check(self, value: object) -> int:
        if isinstance(value, int) and self._base.minimum <= value <= self._base.maximum:
            return int(value)
        if isinstance(value, str) and value in self.enum.__members__:
            return int(self.enum[value])  # a member's name: what a user of an enum made from BTF has at hand
        members = ", ".join(member.name for member in self.enum)
        raise CodecError(
            f"{self.name} cannot encode {value!r}: expected a member or its name ({members}), "
            f"or an int in {self._base.minimum}..{self._base.maximum}"
        )

    def _decode(self, number: Any) -> Any:
        try:
            return self.enum(number)
        except ValueError:
            return number


def int_enum(enum_class: type[E], base: IntCodec = u32) -> IntEnumCodec[E]:
    """An ``enum.IntEnum`` stored as *base* (``u32`` unless given)."""
    return IntEnumCodec(enum_class, base)


@btf_type.register(IntEnumCodec)
def _(codec: IntEnumCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    members = [(member.name, int(member)) for member in codec.enum]
    return builder.enum(codec.enum.__name__, codec.size, members, signed=codec.base.minimum < 0)


@from_json.register(IntEnumCodec)
def _(codec: IntEnumCodec, value: Any, role: str, *, text: bool = False) -> Any:  # type: ignore[type-arg]
    """A member by its name, or the integer (of the enum or not)."""
    if isinstance(value, str) and not is_int(value):
        try:
            return codec.enum[value]
        except KeyError:
            raise BpfArgumentError(f"bad {role} {value!r}: not a member of {codec.enum.__name__}") from None
    return from_json.dispatch(object)(codec, value, role, text=text)
