"""``f32``/``f64``: C ``float`` and ``double``, every bit pattern kept (NaN payloads included)."""

from __future__ import annotations

import array
import math
import struct
import sys
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import BTF_SHAPES, HEX, btf_type, from_json, hex_bytes, to_json
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["f32", "f64"]


class FloatCodec(Codec[float]):
    """C ``float`` (4 bytes) or ``double`` (8), in host byte order. Takes ``float`` or ``int``.

    Every bit pattern a map holds reads back unchanged, NaN payloads included: a NaN that Python's
    ``float`` cannot carry exactly (a signalling NaN in a ``float``) decodes as a ``float`` that
    remembers its bytes.
    """

    __slots__ = ("_struct",)

    def __init__(self, name: str, size: int) -> None:
        super().__init__(size, name, size)
        self._struct = struct.Struct("=f" if size == 4 else "=d")

    def pack(self, value: float) -> bytes:
        if type(value) is ExactNan:
            return value.bits if len(value.bits) == self.size else self._struct.pack(value)
        if isinstance(value, bool) or not isinstance(value, (float, int)):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a float")
        try:
            return self._struct.pack(value)
        except (OverflowError, struct.error) as exc:
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc}") from None

    def unpack(self, data: bytes) -> float:
        value: float = self._struct.unpack(data)[0]
        if value != value and self._struct.pack(value) != bytes(data):  # noqa: PLR0124 - NaN
            return ExactNan(value, bytes(data))
        return value

    def unpack_column(self, data: Buffer, count: int) -> Any:
        """An ``array.array`` of the values (its buffer keeps every bit, NaN payloads included)."""
        column = array.array("f" if self.size == 4 else "d")
        column.frombytes(memoryview(data).cast("B")[: count * self.size])
        return column

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(self._struct.format[1:], self._check, None)

    def _check(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (float, int)):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a float")
        return value


class ExactNan(float):
    """A NaN read from a map, with the bytes it was read from (which a plain ``float`` would change)."""

    def __new__(cls, value: float, bits: bytes) -> ExactNan:
        made = super().__new__(cls, value)
        made.bits = bits
        return made

    bits: bytes

    def __repr__(self) -> str:
        return f"nan(0x{self.bits[::-1].hex()})" if sys.byteorder == "little" else f"nan(0x{self.bits.hex()})"


f32 = FloatCodec("f32", 4)
"""C ``float``."""


f64 = FloatCodec("f64", 8)
"""C ``double``."""


BTF_SHAPES.floats.update({4: f32, 8: f64})


@btf_type.register(FloatCodec)
def _(codec: FloatCodec, builder: Builder) -> int:
    return builder.float_type("float" if codec.size == 4 else "double", codec.size)


@from_json.register(FloatCodec)
def _(codec: FloatCodec, value: Any, role: str, *, text: bool = False) -> Any:
    if isinstance(value, str) and value.startswith(HEX):
        return codec.unpack(hex_bytes(value, role, codec.size, exact=True))
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise BpfArgumentError(f"bad {role} {value!r}: expected a number such as 1.5, inf or nan") from None
    return value


@to_json.register(FloatCodec)
def _(codec: FloatCodec, value: Any) -> Any:
    """A number; ``"inf"``, ``"nan"``; or the ``hex:`` bytes of a NaN whose payload text would lose."""
    if not isinstance(value, float) or math.isfinite(value):
        return to_json.dispatch(object)(codec, value)
    stored = value.bits if isinstance(value, ExactNan) else codec.pack(value)
    return str(value) if codec.pack(float(str(value))) == stored else HEX + stored.hex()
