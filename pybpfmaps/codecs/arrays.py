"""``array(element, n)``: a fixed-length C array ``element[n]``, as a tuple."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import btf_type, from_json, to_json
from pybpfmaps.codecs.ints import IntCodec
from pybpfmaps.errors import CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["array"]

T = TypeVar("T")


class ArrayCodec(Codec[tuple[T, ...]], Generic[T]):
    """A fixed-length C array ``element[length]``; takes any sequence of that length, gives a tuple.

    A length of 0 is C's zero-length or flexible array member (``data[0]``, ``data[]``): no bytes,
    the value ``()``.
    """

    __slots__ = ("_many", "element", "length")

    def __init__(self, element: Codec[T], length: int) -> None:
        if not isinstance(element, Codec):
            raise CodecTypeError(f"array() needs a codec for its elements, got {element!r}")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise CodecError(f"array() needs an int length >= 0, got {length!r}")
        super().__init__(element.size * length, f"array({element.name}, {length})", element.align)
        self.element = element
        self.length = length
        native = isinstance(element, IntCodec) and not element.big_endian
        self._many = struct.Struct(f"={length}{element.struct_member().format}") if native else None

    def pack(self, value: Sequence[Any]) -> bytes:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a sequence")
        if len(value) != self.length:
            raise CodecError(f"{self.name} cannot encode {value!r}: {len(value)} elements, expected {self.length}")
        if self._many is not None:
            try:
                return self._many.pack(*value)
            except (struct.error, TypeError):
                pass  # let the element codec name the bad element
        try:
            return b"".join(map(self.element.pack, value))
        except CodecError as exc:
            raise type(exc)(f"{self.name}: {exc}") from None

    def unpack(self, data: bytes) -> tuple[T, ...]:
        if self._many is not None:
            return self._many.unpack(data)
        if not self.element.size:  # elements of no bytes (empty structs)
            return tuple(self.element.unpack(b"") for _ in range(self.length))
        return tuple(self.element.unpack_many(data, self.length))


def array(element: Codec[T], length: int) -> ArrayCodec[T]:
    """A fixed-length C array of *length* elements of *element*, as a tuple."""
    return ArrayCodec(element, length)


@btf_type.register(ArrayCodec)
def _(codec: ArrayCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    return builder.array(btf_type(codec.element, builder), codec.length)


@from_json.register(ArrayCodec)
def _(codec: ArrayCodec, value: Any, role: str, *, text: bool = False) -> Any:  # type: ignore[type-arg]
    if isinstance(value, list):
        return tuple(from_json(codec.element, item, role) for item in value)
    return from_json.dispatch(object)(codec, value, role, text=text)


@to_json.register(ArrayCodec)
def _(codec: ArrayCodec, value: Any) -> Any:  # type: ignore[type-arg]
    if isinstance(value, tuple):
        return [to_json(codec.element, item) for item in value]
    return to_json.dispatch(object)(codec, value)
