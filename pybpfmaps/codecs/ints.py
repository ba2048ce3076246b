"""Integer codecs: ``u8``..``u64``, ``i8``..``i64``, the network-order ``be16``/``be32``/``be64``
and the 128-bit ``u128``/``i128``. Integers are in the host's byte order except the ``be*`` ones."""

from __future__ import annotations

import array
import operator
import struct
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import Buffer, Codec, StructMember, shown
from pybpfmaps.codecs.hooks import BTF_SHAPES, btf_type, from_json, short
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["be16", "be32", "be64", "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128"]


_ARRAY_CODES = {(array.array(code).itemsize, code.islower()): code for code in reversed("bBhHiIlLqQ")}
"""``array.array`` typecodes by (size, signed): the first of C's types with that size."""


class IntCodec(Codec[int]):
    """A fixed-width integer: signedness, width and byte order of one C integer type.

    Accepts ``int`` and anything with ``__index__``; ``True``/``False`` count as 1/0, as they do
    for dict keys.
    """

    __slots__ = ("_format", "_struct", "_typecodes", "big_endian", "maximum", "minimum")

    def __init__(self, name: str, struct_format: str) -> None:
        self._struct = struct.Struct(struct_format)
        super().__init__(self._struct.size, name, self._struct.size)
        self._format = struct_format
        self.big_endian = struct_format[0] == ">"
        bits = 8 * self.size
        signed = struct_format[-1].islower()
        self.minimum = -(1 << (bits - 1)) if signed else 0
        self.maximum = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        # array.array typecodes whose items are exactly this type in host order
        candidates = "bhilq" if signed else "BHILQ"
        native = not self.big_endian or self.size == 1
        self._typecodes = frozenset(c for c in candidates if native and array.array(c).itemsize == self.size)

    def pack(self, value: int) -> bytes:
        try:
            return self._struct.pack(value)
        except Exception:  # struct.error, TypeError, or whatever a user type's __index__ raises
            raise self._error(value) from None

    def unpack(self, data: bytes) -> int:
        result: int = self._struct.unpack(data)[0]
        return result

    def pack_many(self, values: Iterable[int]) -> bytes:
        if type(values) is array.array and values.typecode in self._typecodes:
            return values.tobytes()  # already the host's layout of this integer type
        items = values if isinstance(values, Sequence) else list(values)
        try:
            return struct.pack(f"{self._format[0]}{len(items)}{self._format[1:]}", *items)
        except Exception:  # struct.error, TypeError, or whatever a user type's __index__ raises
            for item in items:
                self.pack(item)
            raise  # pragma: no cover - pack() above raised for the offending item

    def unpack_many(self, data: Buffer, count: int) -> list[int]:
        return list(struct.unpack_from(f"{self._format[0]}{count}{self._format[1:]}", data))

    def unpack_column(self, data: Buffer, count: int) -> Any:
        """An ``array.array`` of the values in host order (a list for 128-bit integers)."""
        code = _ARRAY_CODES.get((self.size, self.minimum < 0))
        if code is None:
            return self.unpack_many(data, count)
        column = array.array(code)
        column.frombytes(memoryview(data).cast("B")[: count * self.size])
        if self.big_endian and self.size > 1:
            column.byteswap()
        return column

    def struct_member(self, order: str = "=") -> StructMember:
        if self.size == 1 or (order == ">") == self.big_endian:
            return StructMember(self._format[1:], None, None)
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def _error(self, value: object) -> CodecError:
        described = shown(value)
        if not hasattr(value, "__index__"):
            return CodecTypeError(f"{self.name} cannot encode {described} ({type(value).__name__}): expected an int")
        try:
            operator.index(value)
        except Exception as exc:
            return CodecTypeError(f"{self.name} cannot encode {described}: its __index__ raised {exc!r}")
        return CodecError(f"{self.name} cannot encode {described}: out of range {self.minimum}..{self.maximum}")


class WideIntCodec(IntCodec):
    """A 128-bit integer (C ``__int128`` / ``unsigned __int128``), in host byte order, aligned to 16."""

    __slots__ = ("_signed",)

    def __init__(self, name: str, *, signed: bool) -> None:
        Codec.__init__(self, 16, name, 16)
        self._signed = signed
        self._format = "=16s"
        self._typecodes = frozenset()
        self.big_endian = False
        self.minimum = -(1 << 127) if signed else 0
        self.maximum = (1 << 127) - 1 if signed else (1 << 128) - 1

    def pack(self, value: int) -> bytes:
        try:
            number = operator.index(value)
        except Exception:
            raise self._error(value) from None
        if not self.minimum <= number <= self.maximum:
            raise self._error(value)
        return number.to_bytes(16, sys.byteorder, signed=self._signed)

    def unpack(self, data: Buffer) -> int:
        return int.from_bytes(data, sys.byteorder, signed=self._signed)

    def pack_many(self, values: Iterable[int]) -> bytes:
        return b"".join(map(self.pack, values))

    def unpack_many(self, data: Buffer, count: int) -> list[int]:
        view = memoryview(data).cast("B")
        return [self.unpack(view[i : i + 16]) for i in range(0, 16 * count, 16)]

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("16s", self.pack, self.unpack)


u8 = IntCodec("u8", "=B")


u16 = IntCodec("u16", "=H")


u32 = IntCodec("u32", "=I")


u64 = IntCodec("u64", "=Q")


i8 = IntCodec("i8", "=b")


i16 = IntCodec("i16", "=h")


i32 = IntCodec("i32", "=i")


i64 = IntCodec("i64", "=q")


be16 = IntCodec("be16", ">H")


be32 = IntCodec("be32", ">I")


be64 = IntCodec("be64", ">Q")


u128 = WideIntCodec("u128", signed=False)
"""C ``unsigned __int128``."""


i128 = WideIntCodec("i128", signed=True)
"""C ``__int128``."""

BTF_SHAPES.ints.update(
    {(codec.size, codec.minimum < 0): codec for codec in (u8, u16, u32, u64, u128, i8, i16, i32, i64, i128)}
)
BTF_SHAPES.typedefs.update({"__be16": be16, "__be32": be32, "__be64": be64})

_C_NAMES = {u8: "__u8", u16: "__u16", u32: "__u32", u64: "__u64", i8: "__s8", i16: "__s16", i32: "__s32", i64: "__s64"}


@btf_type.register(IntCodec)
def _(codec: IntCodec, builder: Builder) -> int:
    if codec.big_endian:
        plain = builder.int_type(f"__u{8 * codec.size}", codec.size)
        return builder.typedef(f"__be{8 * codec.size}", plain)
    signed = codec.minimum < 0
    name = _C_NAMES.get(codec, f"__{'s' if signed else 'u'}{8 * codec.size}")
    return builder.int_type(name, codec.size, signed=signed)


@btf_type.register(WideIntCodec)
def _(codec: WideIntCodec, builder: Builder) -> int:
    signed = codec.minimum < 0
    return builder.int_type("__int128" if signed else "unsigned __int128", 16, signed=signed)


@from_json.register(IntCodec)
def _(codec: IntCodec, value: Any, role: str, *, text: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer")
    if isinstance(value, int):
        return value
    try:
        return int(value, 0)
    except ValueError as exc:
        digits = "digits" in str(exc)  # more than Python converts (sys.set_int_max_str_digits)
        why = str(exc) if digits else "expected an integer such as 42 or 0x2a"
        raise BpfArgumentError(f"bad {role} {short(value)}: {why}") from None
