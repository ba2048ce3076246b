"""Checks on create/open/write arguments that run before any syscall, with messages that say what to fix."""

from __future__ import annotations

import os
import re
from typing import Any

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.structs import StructCodec
from pybpfmaps.errors import BpfArgumentError, CodecTypeError
from pybpfmaps.flags import MapFlags, UpdateFlags

_MAP_NAME = re.compile(r"[A-Za-z0-9_.]{0,15}")
_UPDATE_BITS = int(UpdateFlags.NOEXIST | UpdateFlags.EXIST | UpdateFlags.LOCK)
_NOEXIST, _EXIST = int(UpdateFlags.NOEXIST), int(UpdateFlags.EXIST)
_U32_MAX = (1 << 32) - 1

ACCESS_FLAGS = MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG
"""The create flags that limit who may read or write a map; every map type takes them."""


def map_name(name: str) -> bytes:
    """The kernel's form of a map name: at most 15 ASCII letters, digits, ``_`` or ``.``."""
    if not isinstance(name, str) or not _MAP_NAME.fullmatch(name):
        raise BpfArgumentError(f"invalid map name {name!r}: the kernel takes at most 15 characters from [A-Za-z0-9_.]")
    return name.encode("ascii")


def max_entries(value: int) -> int:
    """A capacity the kernel can take: an int from 1 to 2**32-1."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _U32_MAX:
        raise BpfArgumentError(f"max_entries must be an int from 1 to {_U32_MAX}, got {value!r}")
    return value


def codec_size(role: str, size: int) -> None:
    """A key or value size the kernel's u32 field can say (the kernel then sets its own, lower, limits)."""
    if not 0 <= size <= _U32_MAX:
        raise BpfArgumentError(f"{role} codec is {size} bytes: a map's {role}s are at most {_U32_MAX} bytes")


def create_flags(flags: MapFlags | int, allowed: MapFlags, kind: str) -> int:
    """*flags* as an int, if every bit is one this map type accepts at creation."""
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise BpfArgumentError(f"flags must be MapFlags, got {flags!r}")
    bits = int(flags)
    unknown = bits & ~int(allowed)
    if bits < 0 or unknown:
        bad = MapFlags(unknown) if bits >= 0 else flags
        raise BpfArgumentError(f"{kind} maps do not take flags {bad!r}; allowed: {allowed!r}")
    if bits & MapFlags.RDONLY and bits & MapFlags.WRONLY:
        raise BpfArgumentError("flags RDONLY and WRONLY exclude each other")
    return bits


def update_flags(flags: UpdateFlags | int) -> int:
    """*flags* as an int, if it is ANY, NOEXIST or EXIST, optionally with LOCK."""
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise BpfArgumentError(f"flags must be UpdateFlags, got {flags!r}")
    bits = int(flags)
    if bits < 0 or bits & ~_UPDATE_BITS:
        raise BpfArgumentError(f"unknown update flags {flags!r}: use UpdateFlags.ANY, NOEXIST or EXIST (| LOCK)")
    if bits & _NOEXIST and bits & _EXIST:
        raise BpfArgumentError("UpdateFlags.NOEXIST and UpdateFlags.EXIST exclude each other")
    return bits


def pin_path(path: str | os.PathLike[str]) -> str:
    """A pin path as text, refusing what the kernel would silently cut short (a NUL byte)."""
    text = os.fspath(path)
    if not isinstance(text, str) or "\0" in text:
        raise BpfArgumentError(f"invalid pin path {path!r}: expected a str or os.PathLike path without NUL bytes")
    return text


def access(readonly: bool, writeonly: bool) -> int:
    """The BPF_F_RDONLY / BPF_F_WRONLY open flag for an open-by-path or open-by-id."""
    if readonly and writeonly:
        raise BpfArgumentError("readonly and writeonly exclude each other")
    return int(MapFlags.RDONLY) if readonly else int(MapFlags.WRONLY) if writeonly else 0


def hashable_key(key: Codec[Any]) -> None:
    """Refuse a struct key whose instances cannot be dict keys."""
    if isinstance(key, StructCodec) and not key.hashable:
        raise CodecTypeError(
            f"key class {key.name} is not hashable, so its instances cannot be dict keys: use @attrs.frozen"
        )
