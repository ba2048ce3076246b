"""What the rest of pybpfmaps asks of a codec, answered by registration next to each codec.

Each question is one generic function (``functools.singledispatch``) that a codec module extends
for its own codec classes with ``register``, so a new codec is one file:

* ``btf_type(codec, builder)``: the BTF type id of the codec's C type, added to a
  ``btf.format.Builder``; maps are created with it. A codec without one raises ``NoBtf`` and its
  maps are created without type information.
* ``holds_spin_lock(codec)``: whether values of the codec hold a ``struct bpf_spin_lock`` where
  the kernel allows one (a member of the top-level struct).
* ``from_json(codec, value, role, text=...)``: a value the command line read (JSON data, or plain
  text when *text* is true) turned into what the codec packs. Without a registration, numeric text
  becomes an int and anything else is left for the codec to parse.
* ``to_json(codec, value)``: a decoded value as JSON data that ``from_json`` reads back to the
  same bytes.

Which codec a BTF type decodes to goes by the type's shape: ``BTF_SHAPES`` holds the integers
(by size and signedness), typedef names (``__be16``), structs (by name and size: ``in_addr``),
floats (by size), ``_Bool`` and the arrays of one-byte elements, each registered by its codec's
module. Structs, unions, enums and other arrays are built from their parts by ``btf.to_codec``.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from pybpfmaps.codecs.base import FIELD_C_NAME, FIELD_CODEC, Codec
from pybpfmaps.errors import BpfArgumentError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder
    from pybpfmaps.codecs.ints import IntCodec

HEX = "hex:"
"""The prefix of bytes written as hex digits in command-line text and JSON (``hex:0a000001``)."""


class NoBtf(Exception):
    """The codec has no BTF description."""


@attrs.define
class BtfShapes:
    """The codec each leaf BTF type decodes to, by its shape; every codec module registers its own."""

    ints: dict[tuple[int, bool], IntCodec] = attrs.Factory(dict)
    """Integers by (size in bytes, signed)."""
    typedefs: dict[str, Codec[Any]] = attrs.Factory(dict)
    """Typedef names that decide the codec of the integer under them (``__be16``), if the sizes agree."""
    structs: dict[tuple[str, int], Codec[Any]] = attrs.Factory(dict)
    """Structs by (name, size) that are one value to Python (``in_addr``, ``bpf_spin_lock``)."""
    floats: dict[int, Codec[float]] = attrs.Factory(dict)
    """Floating-point types by size."""
    boolean: Codec[Any] | None = None
    """C ``_Bool``."""
    char_array: Callable[[int], Codec[Any]] | None = None
    """``char name[n]``: text."""
    byte_array: Callable[[int], Codec[Any]] | None = None
    """Other arrays of one-byte integers (``__u8 data[6]``): bytes."""


BTF_SHAPES = BtfShapes()


@functools.singledispatch
def btf_type(codec: Codec[Any], builder: Builder) -> int:
    """The BTF type id of *codec*'s C type, added to *builder*; ``NoBtf`` if it has none."""
    raise NoBtf(f"no BTF for codec {codec!r}")


@functools.singledispatch
def holds_spin_lock(codec: Codec[Any]) -> bool:
    """Whether values of *codec* hold a ``bpf_spin_lock`` at the top level of a struct."""
    return False


@functools.singledispatch
def from_json(codec: Codec[Any], value: Any, role: str, *, text: bool = False) -> Any:
    """What *codec* packs for *value*, read from JSON (or, if *text*, the command line's plain text).

    *role* (``"key"``, ``"value"``) names the value in a ``BpfArgumentError``.
    """
    if isinstance(value, str) and is_int(value):
        return int(value, 0)  # an interface or array index given as text
    return value  # addresses, networks, interface names, MACs: the codec parses them


@functools.singledispatch
def to_json(codec: Codec[Any], value: Any) -> Any:
    """A value *codec* decoded, as JSON data that ``from_json`` turns back into the same bytes."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, enum.IntEnum):
        return value.name  # as bpftool shows it; from_json takes names (values outside the enum are plain ints)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    if isinstance(value, bytes):
        return int.from_bytes(value, sys.byteorder) if len(value) in (1, 2, 4, 8) else HEX + value.hex()
    if isinstance(value, tuple):
        return [to_json(codec, item) for item in value]
    if attrs.has(type(value)):
        return attrs_to_json(value, codec)
    return value


def attrs_to_json(value: Any, codec: Codec[Any]) -> dict[str, Any]:
    """An attrs instance as a JSON object keyed by its C member names, each field by its own codec."""
    shown: dict[str, Any] = {}
    for field in attrs.fields(type(value)):
        item = getattr(value, field.name)
        shown[field.metadata.get(FIELD_C_NAME) or field.name] = to_json(field.metadata.get(FIELD_CODEC, codec), item)
    return shown


def hex_bytes(value: Any, role: str, size: int, *, exact: bool) -> bytes:
    """The bytes of ``hex:...`` text: exactly *size* of them, or at most *size* (a ``char`` array)."""
    if not isinstance(value, str) or not value.startswith(HEX):
        raise BpfArgumentError(f"bad {role} {value!r}: expected hex:... bytes")
    try:
        data = bytes.fromhex(value[len(HEX) :])
    except ValueError:
        raise BpfArgumentError(f"bad {role} {value!r}: hex: needs pairs of hex digits") from None
    if len(data) != size if exact else len(data) > size:
        raise BpfArgumentError(f"bad {role} {value!r}: {len(data)} bytes, but it holds {size}")
    return data


def is_int(text: str) -> bool:
    """Whether *text* is an integer as Python writes one (``42``, ``-7``, ``0x2a``)."""
    try:
        int(text, 0)
    except ValueError:
        return False
    return True


def short(text: str) -> str:
    """*text*'s repr for a message, shortened."""
    shown = repr(text)
    return shown if len(shown) <= 60 else f"{shown[:40]}...({len(text)} characters)"
