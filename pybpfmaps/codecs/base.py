"""The ``Codec`` base class: a Python value to and from the fixed-size bytes of one C type.

A codec knows its ``size`` and C alignment, packs one value (``pack``/``unpack``) or many at
once (``pack_many``/``unpack_many``, one contiguous buffer, for bulk paths), and says how it sits
inside a struct (``struct_member``). Calling a codec makes an attrs field of that C type:
``port: int = be16()``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from pybpfmaps.errors import CodecError

__all__ = ["FIELD_CODEC", "FIELD_PAD_AFTER", "Codec", "StructMember"]

T = TypeVar("T")


Buffer = bytes | bytearray | memoryview
"""What ``unpack``/``unpack_many`` read: any contiguous bytes, including views into syscall buffers."""


FIELD_CODEC = "pybpfmaps.codec"
"""The attrs field metadata key under which a field's codec is stored."""


FIELD_PAD_AFTER = "pybpfmaps.pad_after"
"""The attrs field metadata key of the explicit padding (zero bytes) that follows a field."""
FIELD_C_NAME = "pybpfmaps.c_name"
"""The attrs field metadata key of a member's C name, where it differs from the field's ("" for an anonymous member)."""


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
        if not size:  # a zero-length array member: every value is the empty one
            return [self.unpack(b"") for _ in range(count)]
        view = memoryview(data)
        return [self.unpack(bytes(view[i : i + size])) for i in range(0, count * size, size)]

    def unpack_column(self, data: Buffer, count: int) -> Any:
        """The first ``count`` values as one column, for reads that need no object per value:
        an ``array.array`` for numbers, a dict of columns (one per field) for structs, else the
        ``unpack_many`` list."""
        return self.unpack_many(data, count)

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


def shown(value: object) -> str:
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
