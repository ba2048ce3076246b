"""``column_of``: where a native scalar sits in a codec's values, for ``memoryview`` columns over many of them.

A column is one ``memoryview`` of a value (or of one struct field) across many values laid out at a
fixed stride, read without decoding: mapped array values (``ArrayMemory``) and the records of a
stream read (``RecordBlock``). Only native scalars (``u32``, ``i64``, ``f64``...) can be one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.structs import FieldLayout
from pybpfmaps.errors import BpfArgumentError

_CASTABLE = frozenset("bBhHiIlLqQfd?")


class Column(NamedTuple):
    """A scalar at byte *offset* of each value: *size* bytes, ``memoryview`` format *format*."""

    offset: int
    size: int
    format: str


def column_of(codec: Codec[Any], name: str | None, owner: str, hint: str) -> Column:
    """Where field *name* of *codec*'s values (``None``: the value itself) sits, if a native scalar.

    Errors name *owner* (whose values these are) and *hint* (how to read them instead).
    """
    if name is None:
        fmt = native_format(codec)
        if fmt is None:
            raise BpfArgumentError(
                f"{owner}'s values ({codec.name}) are not native scalars: use {hint}, or a field of a struct"
            )
        return Column(0, codec.size, fmt)
    layouts: list[FieldLayout] | None = getattr(codec, "fields", None)  # StructCodec, or a C struct's from BTF
    if layouts is None:
        raise BpfArgumentError(f"{owner}'s values ({codec.name}) are not a struct")
    for layout in layouts:
        if layout.name == name:
            fmt = native_format(layout.codec)
            if fmt is None or layout.size != layout.codec.size:  # a bitfield touches bytes of another size
                raise BpfArgumentError(
                    f"field {name!r} ({layout.codec.name}) is not a native scalar: read it through {hint}.{name}"
                )
            if layout.offset % layout.size:
                raise BpfArgumentError(f"field {name!r} is not aligned to its size (a packed struct): use {hint}")
            return Column(layout.offset, layout.size, fmt)
    raise BpfArgumentError(f"{codec.name} has no field {name!r}; it has {', '.join(f.name for f in layouts)}")


def native_format(codec: Codec[Any]) -> str | None:
    """The ``memoryview`` format of *codec*'s values if native scalars (``I``, ``q``, ``d``...), else ``None``."""
    member = codec.struct_member("=")
    return member.format if member.encode is None and member.format in _CASTABLE else None
