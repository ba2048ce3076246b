"""Per-CPU maps: ``PerCpuHashMap``, ``LruPerCpuHashMap`` and ``PerCpuArrayMap``, one value per possible CPU."""

from __future__ import annotations

from typing import Any, ClassVar

from pybpfmaps._sys.cpus import possible_cpus
from pybpfmaps._typevars import K
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.percpu_values import PerCpuCodec
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.array import ArrayMap


class PerCpuValuesMixin:
    """Values are ``PerCpuValues``: the map's value type wrapped into one slot per possible CPU."""

    def _value_codec(self, value: Codec[Any]) -> Codec[Any]:
        return value if isinstance(value, PerCpuCodec) else PerCpuCodec(value, possible_cpus())

    @staticmethod
    def _element(value: Codec[Any]) -> Codec[Any]:
        assert isinstance(value, PerCpuCodec)
        return value.element


class PerCpuHashMap(PerCpuValuesMixin, MutableBpfMap[K, Any]):
    """A BPF per-CPU hash map (``BPF_MAP_TYPE_PERCPU_HASH``): each key holds one value per possible CPU.

    Reading gives ``PerCpuValues`` (with ``.sum()``); writing takes one value per possible CPU, or
    a single value for all of them.

    Minimum kernel:
        4.6; batch commands from 5.6.

    Examples:
        >>> from pybpfmaps import PerCpuHashMap, u32, u64
        >>> with PerCpuHashMap.create(key=u32, value=u64, max_entries=16) as packets:
        ...     packets[7] = 5                     # 5 on every CPU
        ...     len(packets[7]) == packets.cpus, packets[7].sum() == 5 * packets.cpus
        (True, True)
    """

    map_type: ClassVar[MapType | None] = MapType.PERCPU_HASH
    create_flags: ClassVar[MapFlags] = (
        MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | _validate.ACCESS_FLAGS
    )

    @property
    def cpus(self) -> int:
        """The number of possible CPUs: values have this many entries."""
        return possible_cpus()


class LruPerCpuHashMap(PerCpuHashMap[K]):
    """A BPF per-CPU LRU hash map (``BPF_MAP_TYPE_LRU_PERCPU_HASH``): evicts instead of filling up.

    Minimum kernel:
        4.10.
    """

    map_type: ClassVar[MapType | None] = MapType.LRU_PERCPU_HASH
    create_flags: ClassVar[MapFlags] = (
        MapFlags.NO_COMMON_LRU | MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | _validate.ACCESS_FLAGS
    )


class PerCpuArrayMap(PerCpuValuesMixin, ArrayMap[Any]):
    """A BPF per-CPU array (``BPF_MAP_TYPE_PERCPU_ARRAY``): indexes ``0..max_entries-1``, one value per CPU each.

    Minimum kernel:
        4.6; batch commands from 5.13.
    """

    map_type: ClassVar[MapType | None] = MapType.PERCPU_ARRAY
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @property
    def cpus(self) -> int:
        """The number of possible CPUs: values have this many entries."""
        return possible_cpus()
