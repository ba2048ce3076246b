"""Codecs turn Python keys and values into the fixed-size bytes a map holds, and back.

A codec knows its ``size`` and C alignment, packs one value (``pack``/``unpack``) or many at
once (``pack_many``/``unpack_many``, one contiguous buffer, for bulk paths), and says how it sits
inside a struct (``struct_member``). Integer codecs use the host's byte order except the ``be*``
ones (network byte order); ``raw(n)`` passes n bytes through.

Calling a codec makes an attrs field of that C type: ``port: int = be16()``.
"""

from __future__ import annotations

import abc
import array
import operator
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from pybpfmaps.errors import CodecError, CodecTypeError

T = TypeVar("T")
Buffer = bytes | bytearray | memoryview
"""What ``unpack``/``unpack_many`` read: any contiguous bytes, including views into syscall buffers."""

FIELD_CODEC = "pybpfmaps.codec"
"""The attrs field metadata key under which a field's codec is stored."""
FIELD_PAD_AFTER = "pybpfmaps.pad_after"
"""The attrs field metadata key of the explicit padding (zero bytes) that follows a field."""


class StructMember(NamedTuple):
    """How a codec's value sits in a ``struct`` format: one item, converted on the way in and out.

    ``encode``/``decode`` of ``None`` mean the value goes into ``struct`` as it is.
    """

    format: str
    encode: Callable[[Any], Any] | None
    decode: Callable[[Any], Any] | None


class Codec(abc.ABC, Generic[T]):
    """Encodes values of type ``T`` to exactly ``size`` bytes and back.

    Subclasses implement ``pack`` and ``unpack``; ``pack_many`` and ``unpack_many`` default to
    loops over them and should be overridden with something faster where possible. ``pack`` must
    raise ``CodecError`` (or ``CodecTypeError``) for a value it cannot encode, naming the value.
    ``align`` is the C alignment of the type (1 unless a subclass knows better).
    """

    __slots__ = ("align", "name", "size")

    def __init__(self, size: int, name: str, align: int = 1) -> None:
        self.size = size
        self.name = name
        self.align = align

    @abc.abstractmethod
    def pack(self, value: T) -> bytes:
        """Encode one value to ``size`` bytes."""

    @abc.abstractmethod
    def unpack(self, data: bytes) -> T:
        """Decode ``size`` bytes."""

    def pack_many(self, values: Iterable[T]) -> bytes:
        """Encode values into one contiguous buffer of ``len(values) * size`` bytes."""
        return b"".join(map(self.pack, values))

    def unpack_many(self, data: Buffer, count: int) -> list[T]:
        """Decode the first ``count`` values of a contiguous buffer."""
        size = self.size
        view = memoryview(data)
        return [self.unpack(bytes(view[i : i + size])) for i in range(0, count * size, size)]

    def struct_member(self, order: str = "=") -> StructMember:
        """This codec as one item of a ``struct`` format of byte *order* (``"="`` host, ``">"`` network).

        By default ``size`` bytes via ``pack``/``unpack``, whatever the order; codecs that are
        integers in one byte order say so, and a layout picks the order that needs the fewest
        conversions.
        """
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def field_converter(self) -> Callable[[Any], Any] | None:
        """What fields of this type convert their value with (e.g. ``str`` to ``IPv4Address``), if anything."""
        return None

    def __call__(self, *, default: Any = attrs.NOTHING, pad_after: int = 0, **field_options: Any) -> Any:
        """An attrs field of this C type, e.g. ``sport: int = be16()``.

        *pad_after* adds explicit padding: that many zero bytes after the field, like a C
        ``__u8 _pad[3];`` member. Other options go to ``attrs.field``.
        """
        if not isinstance(pad_after, int) or isinstance(pad_after, bool) or pad_after < 0:
            raise CodecError(f"pad_after must be an int >= 0, got {pad_after!r}")
        metadata = {**field_options.pop("metadata", {}), FIELD_CODEC: self, FIELD_PAD_AFTER: pad_after}
        converter = self.field_converter()
        if converter is not None:
            field_options.setdefault("converter", converter)
        return attrs.field(default=default, metadata=metadata, **field_options)

    def __repr__(self) -> str:
        return self.name


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

    def struct_member(self, order: str = "=") -> StructMember:
        if self.size == 1 or (order == ">") == self.big_endian:
            return StructMember(self._format[1:], None, None)
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def _error(self, value: object) -> CodecError:
        shown = _shown(value)
        if not hasattr(value, "__index__"):
            return CodecTypeError(f"{self.name} cannot encode {shown} ({type(value).__name__}): expected an int")
        try:
            operator.index(value)
        except Exception as exc:
            return CodecTypeError(f"{self.name} cannot encode {shown}: its __index__ raised {exc!r}")
        return CodecError(f"{self.name} cannot encode {shown}: out of range {self.minimum}..{self.maximum}")


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


class RawCodec(Codec[bytes]):
    """Exactly ``size`` bytes, passed through unchanged (``bytes``, ``bytearray`` or ``memoryview``).

    ``reason`` says why bytes that have a type (in a map's BTF, say) could not be typed, or is
    ``None``.
    """

    __slots__ = ("reason",)

    def __init__(self, size: int, *, reason: str | None = None) -> None:
        if reason is None or size:
            check_size(size, "raw")
        super().__init__(size, f"raw({size})")
        self.reason = reason

    def pack(self, value: bytes | bytearray | memoryview) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            hint = "; encode it first" if isinstance(value, str) else ""
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected bytes{hint}")
        data = bytes(value)
        if len(data) != self.size:
            raise CodecError(f"{self.name} cannot encode {value!r}: {len(data)} bytes, expected {self.size}")
        return data

    def unpack(self, data: bytes) -> bytes:
        return bytes(data)

    def pack_many(self, values: Iterable[bytes | bytearray | memoryview]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        if set(map(type, items)) <= {bytes, bytearray} and set(map(len, items)) <= {self.size}:
            return b"".join(items)
        return b"".join(map(self.pack, items))

    def unpack_many(self, data: Buffer, count: int) -> list[bytes]:
        size = self.size
        data = bytes(data[: count * size])
        return [data[i : i + size] for i in range(0, count * size, size)]

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(f"{self.size}s", self.pack, None)


def _shown(value: object) -> str:
    """*value*'s repr for an error message, shortened (a 100,000-digit int would swamp the message)."""
    try:
        text = repr(value)
    except Exception as exc:  # a user type whose repr raises
        return f"<{type(value).__name__} whose repr raised {type(exc).__name__}>"
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]} ({len(text)} characters)"


def check_size(size: object, maker: str) -> None:
    """Refuse a size that is not a positive int, naming the codec maker (``raw``, ``string``...)."""
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise CodecError(f"{maker}() needs a positive int size, got {size!r}")


def raw(size: int) -> RawCodec:
    """A codec of ``size`` opaque bytes (C ``__u8[size]``); keys and values come back as ``bytes``."""
    return RawCodec(size)


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
