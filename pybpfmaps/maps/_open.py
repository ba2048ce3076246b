"""Opening maps that exist: by pin path, id or fd, as the class the kernel's map type calls for.

``open_fd``/``open_pin``/``open_id`` get an owned ``Fd``; ``adopt`` reads the map's info, picks the
registered class for its type and lets it build the object (with codecs from the map's BTF for
keyed maps), closing the fd if anything fails.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Any, TypeVar

from pybpfmaps import btf
from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError, from_raw
from pybpfmaps.maps import _pins, _registry, _validate
from pybpfmaps.maps.info import MapInfo, read_info

if TYPE_CHECKING:
    from pybpfmaps.maps.core import MapCore

M = TypeVar("M", bound="MapCore")


def open_fd(fd: int) -> Fd:
    """A duplicate, owned, of a descriptor the caller owns, if it is a map."""
    try:
        fields = read_fdinfo(fd)
    except (OSError, ValueError, TypeError):
        raise BpfArgumentError(f"fd {fd!r} is not an open file descriptor") from None
    if "map_type" not in fields:
        raise BpfArgumentError(f"fd {fd} is not a BPF map")
    return Fd(os.dup(fd), f"map fd {fd}")


def open_pin(path: str | os.PathLike[str], readonly: bool, writeonly: bool) -> tuple[Fd, str]:
    """An fd of the map pinned at *path*, and the path as text."""
    file_flags = _validate.access(readonly, writeonly)
    text = _validate.pin_path(path)
    try:
        number = commands.obj_get(os.fsencode(text), file_flags)
    except RawBpfError as exc:
        hint: str | None = None
        if exc.errno in (errno.EPERM, errno.EACCES):
            hint = _pins.open_refused(text, exc.errno, readonly, exc.command)
        else:
            hint = f"nothing pinned at {text!r}" if exc.errno == errno.ENOENT else None
        raise from_raw(exc, map_label=f"pin {text!r}", hint=hint) from None
    fd = Fd(number, f"map pinned at {text!r}")
    if "map_type" not in read_fdinfo(number):
        fd.close()
        raise BpfArgumentError(f"{text!r} is a pinned BPF object but not a map")
    return fd, text


def open_id(map_id: int, readonly: bool, writeonly: bool) -> Fd:
    """An fd of the map with kernel id *map_id*."""
    open_flags = _validate.access(readonly, writeonly)
    if not isinstance(map_id, int) or isinstance(map_id, bool) or not 0 < map_id < 1 << 31:
        raise BpfArgumentError(f"map_id must be a positive int, got {map_id!r}")
    try:
        number = commands.map_get_fd_by_id(map_id, open_flags)
    except RawBpfError as exc:
        hint = f"no map with id {map_id}" if exc.errno == errno.ENOENT else None
        raise from_raw(exc, map_label=f"map id {map_id}", hint=hint) from None
    return Fd(number, f"map id {map_id}")


def adopt(
    cls: type[M],
    fd: Fd,
    key: Codec[Any] | type | None,
    value: Codec[Any] | type | None,
    pin_path: str | None,
    *,
    created_access: str | None = None,
    btf_types: bool = True,
) -> M:
    """The object of the class registered for *fd*'s map type (which must be *cls* or below it);
    the fd is closed if that fails."""
    try:
        info = read_info(fd.fileno())
        subclass = _registry.lookup_or_fallback(int(info.type))
        if not issubclass(subclass, cls):
            general = "BpfMap" if any(base.__name__ == "BpfMap" for base in subclass.__mro__) else "MapCore"
            raise BpfArgumentError(
                f"{info.label} is not a {cls.__name__}: open it with {subclass.__name__} or {general}"
            )
        instance = subclass._from_kernel(fd, info, key, value, pin_path, btf_types)
    except RawBpfError as exc:
        fd.close()
        raise from_raw(exc, map_label=fd.label) from None
    except BaseException:
        fd.close()
        raise
    instance._handle.created_access = created_access
    return instance


def btf_codecs(info: MapInfo) -> tuple[Codec[Any] | None, Codec[Any] | None]:
    """Codecs for a map's keys and values from its BTF, where it has some.

    Never fails: BTF that cannot be read (no CAP_SYS_ADMIN, say) or typed gives ``raw`` codecs
    whose ``reason`` says why.
    """
    if not info.btf_id:
        return None, None
    try:
        decoder = btf.decoder(info.btf_id)
    except Exception as exc:  # whatever another program's BTF does, the map opens
        reason = f"its BTF (id {info.btf_id}) cannot be read: {exc}"
        return (
            RawCodec(info.key_size, reason=reason) if info.btf_key_type_id else None,
            RawCodec(info.value_size, reason=reason) if info.btf_value_type_id else None,
        )
    key = decoder.codec(info.btf_key_type_id, info.key_size) if info.btf_key_type_id else None
    value = decoder.codec(info.btf_value_type_id, info.value_size) if info.btf_value_type_id else None
    return key, value
