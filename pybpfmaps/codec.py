"""Codecs turn Python keys and values into the fixed-size bytes a map holds, and back.

A codec knows its ``size`` and packs one value (``pack``/``unpack``) or many at once
(``pack_many``/``unpack_many``, one contiguous buffer, for bulk paths). Integer codecs use the
host's byte order except the ``be*`` ones (network byte order); ``raw(n)`` passes n bytes through.
Any object implementing ``Codec`` can be given to a map as ``key=`` or ``value=``.
"""

from __future__ import annotations

import abc
import struct
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from pybpfmaps.errors import CodecError, CodecTypeError

T = TypeVar("T")


class Codec(abc.ABC, Generic[T]):
    """Encodes values of type ``T`` to exactly ``size`` bytes and back.

    Subclasses implement ``pack`` and ``unpack``; ``pack_many`` and ``unpack_many`` default to
    loops over them and should be overridden with something faster where possible. ``pack`` must
    raise ``CodecError`` (or ``CodecTypeError``) for a value it cannot encode, naming the value.
    """

    __slots__ = ("name", "size")

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name

    @abc.abstractmethod
    def pack(self, value: T) -> bytes:
        """Encode one value to ``size`` bytes."""

    @abc.abstractmethod
    def unpack(self, data: bytes) -> T:
        """Decode ``size`` bytes."""

    def pack_many(self, values: Iterable[T]) -> bytes:
        """Encode values into one contiguous buffer of ``len(values) * size`` bytes."""
        return b"".join([self.pack(value) for value in values])

    def unpack_many(self, data: bytes, count: int) -> list[T]:
        """Decode the first ``count`` values of a contiguous buffer."""
        size = self.size
        return [self.unpack(data[i * size : (i + 1) * size]) for i in range(count)]

    def __repr__(self) -> str:
        return self.name


class IntCodec(Codec[int]):
    """A fixed-width integer: signedness, width and byte order of one C integer type."""

    __slots__ = ("_format", "_struct", "maximum", "minimum")

    def __init__(self, name: str, struct_format: str) -> None:
        self._struct = struct.Struct(struct_format)
        super().__init__(self._struct.size, name)
        self._format = struct_format
        bits = 8 * self.size
        signed = struct_format[-1].islower()
        self.minimum = -(1 << (bits - 1)) if signed else 0
        self.maximum = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1

    def pack(self, value: int) -> bytes:
        if value.__class__ is bool:
            raise self._error(value)
        try:
            return self._struct.pack(value)
        except (struct.error, TypeError):
            raise self._error(value) from None

    def unpack(self, data: bytes) -> int:
        result: int = self._struct.unpack(data)[0]
        return result

    def pack_many(self, values: Iterable[int]) -> bytes:
        items = values if isinstance(values, Sequence) else list(values)
        try:
            if any(item.__class__ is bool for item in items):
                raise TypeError
            return struct.pack(f"{self._format[0]}{len(items)}{self._format[1:]}", *items)
        except (struct.error, TypeError):
            for item in items:
                self.pack(item)
            raise  # pragma: no cover - pack() above raised for the offending item

    def unpack_many(self, data: bytes, count: int) -> list[int]:
        return list(struct.unpack_from(f"{self._format[0]}{count}{self._format[1:]}", data))

    def _error(self, value: object) -> CodecError:
        if value.__class__ is bool or not hasattr(value, "__index__"):
            return CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected an int")
        return CodecError(f"{self.name} cannot encode {value!r}: out of range {self.minimum}..{self.maximum}")


class RawCodec(Codec[bytes]):
    """Exactly ``size`` bytes, passed through unchanged (``bytes``, ``bytearray`` or ``memoryview``)."""

    __slots__ = ()

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise CodecError(f"raw() needs a positive int size, got {size!r}")
        super().__init__(size, f"raw({size})")

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

    def unpack_many(self, data: bytes, count: int) -> list[bytes]:
        size = self.size
        return [data[i : i + size] for i in range(0, count * size, size)]


def raw(size: int) -> RawCodec:
    """A codec of ``size`` opaque bytes; keys and values come back as ``bytes``."""
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


def as_codec(spec: object, role: str) -> Codec[Any]:
    """The codec for a ``key=``/``value=`` argument; *role* ("key" or "value") names it in errors."""
    if isinstance(spec, Codec):
        return spec
    raise CodecTypeError(f"{role}={spec!r} is not a codec; use one such as u32, be16 or raw(16)")
