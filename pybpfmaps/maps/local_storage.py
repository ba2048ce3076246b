"""Local storage maps: a value attached to a kernel object, keyed by a descriptor of that object.

``SkStorageMap`` (sockets, Linux 5.2+), ``TaskStorageMap`` (tasks, by pidfd: ``os.pidfd_open(pid)``,
5.11+), ``InodeStorageMap`` (files, 5.10+, with the BPF LSM) and ``CgrpStorageMap`` (cgroup v2
directories opened with ``os.open(path, os.O_RDONLY)``, 6.2+). ``m[obj] = value``, ``m[obj]``,
``del m[obj]`` and ``obj in m`` take the object (anything with ``fileno()``) or a descriptor of it;
any descriptor of the same object finds the same value, and the value goes when the object does.
The kernel cannot list these maps: iterating one, ``len()`` and ``copy()`` raise its
``NotSupportedError``.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Buffer, Codec
from pybpfmaps.codecs.hooks import btf_type
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfArgumentError, CodecTypeError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _create, _open, _validate
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self

    from pybpfmaps.btf.format import Builder

_INT = struct.Struct("=i")


class ObjectFdCodec(Codec[int]):
    """A local storage key: the descriptor of a socket, task, file or cgroup (C ``int``); written as
    the object (its ``fileno()``) or the fd number; read as the number (the kernel never lists keys)."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        super().__init__(4, f"{what} fd", 4)
        self.what = what

    def pack(self, value: Any) -> bytes:
        number = value.fileno() if hasattr(value, "fileno") else value
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise CodecTypeError(f"{self.name} cannot encode {value!r}: expected a {self.what} or its file descriptor")
        return _INT.pack(number)

    def unpack(self, data: Buffer) -> int:
        number: int = _INT.unpack(data)[0]
        return number


@btf_type.register(ObjectFdCodec)
def _(codec: ObjectFdCodec, builder: Builder) -> int:
    return builder.int_type("int", 4, signed=True)  # the kernel insists on BTF for these maps' keys and values


class LocalStorageMap(MutableBpfMap[Any, Any]):
    """What the local storage maps share: keys are descriptors of objects, values anything."""

    create_flags: ClassVar[MapFlags] = MapFlags.NO_PREALLOC | MapFlags.CLONE | _validate.ACCESS_FLAGS
    _what: ClassVar[str] = "object"

    @classmethod
    def create(  # type: ignore[override]
        cls, *, value: Codec[Any] | type, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new map of a *value* per object (the kernel sizes it itself: no ``max_entries``)."""
        bits = int(flags) | MapFlags.NO_PREALLOC  # the kernel insists
        return _create.create_as(cls, ObjectFdCodec(cls._what), as_codec(value, "value"), 0, name, bits, True)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key is not None and not isinstance(key, ObjectFdCodec):
            raise BpfArgumentError(f"{info.label}: its keys are {cls._what} descriptors")
        typed = _open.btf_codecs(info)[1] if btf and value is None else None
        codec = as_codec(value, "value") if value is not None else typed or RawCodec(info.value_size)
        return cls(fd, info, ObjectFdCodec(cls._what), codec, pin_path)


class SkStorageMap(LocalStorageMap):
    """``BPF_MAP_TYPE_SK_STORAGE``: a value per socket. Linux 5.2+."""

    map_type: ClassVar[MapType | None] = MapType.SK_STORAGE
    _what = "socket"


class TaskStorageMap(LocalStorageMap):
    """``BPF_MAP_TYPE_TASK_STORAGE``: a value per task, keyed by a pidfd (``os.pidfd_open``). Linux 5.11+."""

    map_type: ClassVar[MapType | None] = MapType.TASK_STORAGE
    _what = "pidfd"


class InodeStorageMap(LocalStorageMap):
    """``BPF_MAP_TYPE_INODE_STORAGE``: a value per file (inode), for BPF LSM programs. Linux 5.10+."""

    map_type: ClassVar[MapType | None] = MapType.INODE_STORAGE
    _what = "file"


class CgrpStorageMap(LocalStorageMap):
    """``BPF_MAP_TYPE_CGRP_STORAGE``: a value per cgroup v2, keyed by its directory's fd. Linux 6.2+."""

    map_type: ClassVar[MapType | None] = MapType.CGRP_STORAGE
    _what = "cgroup"
