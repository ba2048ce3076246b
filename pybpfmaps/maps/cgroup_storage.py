"""``CgroupStorageMap`` and ``PerCpuCgroupStorageMap``: the storage ``bpf_get_local_storage()`` gives a
cgroup program (Linux 4.19+; per CPU 4.20+).

The kernel makes an element when a program using the map is attached to a cgroup, keyed by the
cgroup and the attach type (``CgroupStorageKey``), or by the cgroup alone when the map was created
with ``shared=True`` (8-byte keys, Linux 5.9+); from 5.9 it lives as long as the cgroup (before,
until the program was detached). User space
reads and writes existing elements: ``m[(cgroup, AttachType.CGROUP_INET_EGRESS)]``, where
*cgroup* is the cgroup v2 directory's path or its id (the directory's inode number). The maps
are created without ``max_entries``.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Buffer, Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError
from pybpfmaps.flags import AttachType, MapFlags, MapType
from pybpfmaps.maps import _create, _open, _validate
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.percpu import PerCpuValuesMixin

if TYPE_CHECKING:
    from typing_extensions import Self

_KEY = struct.Struct("=QI4x")  # struct bpf_cgroup_storage_key
_SHARED_KEY = struct.Struct("=Q")


class CgroupStorageKey(NamedTuple):
    """An element's key: the cgroup's id (its directory's inode number) and the attach type."""

    cgroup_id: int
    attach_type: AttachType | int


def cgroup_id(cgroup: object) -> int:
    """The id of a cgroup v2 given as its directory's path, or as the id itself."""
    if isinstance(cgroup, int) and not isinstance(cgroup, bool):
        return cgroup
    if isinstance(cgroup, (str, os.PathLike)):
        try:
            return os.stat(cgroup).st_ino
        except OSError as exc:
            raise CodecError(f"cannot read cgroup {os.fspath(cgroup)!r}: {exc.strerror}") from None
    raise CodecTypeError(f"expected a cgroup v2 directory's path or its id, got {cgroup!r}")


class CgroupKeyCodec(Codec[Any]):
    """``struct bpf_cgroup_storage_key`` (16 bytes), or a shared storage's cgroup id (8 bytes)."""

    __slots__ = ()

    def __init__(self, size: int = _KEY.size) -> None:
        super().__init__(size, "cgroup_storage_key" if size == _KEY.size else "cgroup_id", 8)

    def pack(self, value: Any) -> bytes:
        if self.size == _SHARED_KEY.size:
            return _SHARED_KEY.pack(cgroup_id(value))
        if not isinstance(value, tuple) or len(value) != 2:
            raise CodecTypeError(f"{self.name} cannot encode {value!r}: expected (cgroup, attach type)")
        try:
            return _KEY.pack(cgroup_id(value[0]), int(value[1]))
        except (struct.error, TypeError, ValueError) as exc:
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc}") from None

    def unpack(self, data: Buffer) -> Any:
        if self.size == _SHARED_KEY.size:
            number: int = _SHARED_KEY.unpack(data)[0]
            return number
        identifier, attach = _KEY.unpack(data)
        known = attach in AttachType._value2member_map_
        return CgroupStorageKey(identifier, AttachType(attach) if known else attach)


class CgroupStorageMap(MutableBpfMap[Any, Any]):
    """``BPF_MAP_TYPE_CGROUP_STORAGE``: a value per (cgroup, attach type) a program is attached at."""

    map_type: ClassVar[MapType | None] = MapType.CGROUP_STORAGE
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, value: Codec[Any] | type, shared: bool = False, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new storage map of *value*s; *shared*: one element per cgroup for every attach type."""
        key = CgroupKeyCodec(_SHARED_KEY.size if shared else _KEY.size)
        return _create.create_as(cls, key, as_codec(value, "value"), 0, name, int(flags), True)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key is not None and not isinstance(key, CgroupKeyCodec):
            raise BpfArgumentError(f"{info.label}: its keys are cgroups (and attach types)")
        typed = _open.btf_codecs(info)[1] if btf and value is None else None
        codec = as_codec(value, "value") if value is not None else typed or RawCodec(info.value_size)
        return cls(fd, info, CgroupKeyCodec(info.key_size), codec, pin_path)


class PerCpuCgroupStorageMap(PerCpuValuesMixin, CgroupStorageMap):
    """``BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE``: as ``CgroupStorageMap``, one value per possible CPU."""

    map_type: ClassVar[MapType | None] = MapType.PERCPU_CGROUP_STORAGE
