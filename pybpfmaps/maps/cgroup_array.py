"""``CgroupArrayMap``: BPF_MAP_TYPE_CGROUP_ARRAY, cgroups by index (Linux 4.8+).

Programs ask ``bpf_current_task_under_cgroup(map, i)`` or ``bpf_skb_under_cgroup(skb, map, i)``.
User space stores cgroup v2 directories: ``m[i] = os.open("/sys/fs/cgroup/app", os.O_RDONLY)``
(or any object with ``fileno()``), and removes them with ``del m[i]``. The kernel does not answer
lookups of this map from user space: reading an element raises its ``NotSupportedError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _fd_values, _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self

CGROUP = _fd_values.FdValueCodec("cgroup", int)
"""A cgroup array's value: a cgroup v2 directory's fd in (the kernel gives nothing back)."""


class CgroupArrayMap(MutableBpfMap[int, Any]):
    """Cgroups by index, for ``bpf_current_task_under_cgroup`` and ``bpf_skb_under_cgroup``; write-only."""

    map_type: ClassVar[MapType | None] = MapType.CGROUP_ARRAY
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(cls, *, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE) -> Self:  # type: ignore[override]
        """A new, empty cgroup array of *max_entries* slots."""
        return create_keyed(cls, u32, CGROUP, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key not in (None, u32) or value not in (None, CGROUP):
            raise BpfArgumentError(f"{info.label}: a cgroup array's keys are indexes and its values cgroups")
        return cls(fd, info, u32, CGROUP, pin_path)
