"""The map classes: ``BpfMap`` and one subclass per supported kernel map type."""

from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.array import ArrayMap
from pybpfmaps.maps.base import BpfMap
from pybpfmaps.maps.bloom import BloomFilterMap
from pybpfmaps.maps.buffers import (
    ArenaMap,
    OpaqueMap,
    PerfEventArrayMap,
    RingBufMap,
    StructOpsMap,
    UserRingBufMap,
)
from pybpfmaps.maps.cgroup_array import CgroupArrayMap, XskMap
from pybpfmaps.maps.cgroup_storage import CgroupStorageKey, CgroupStorageMap, PerCpuCgroupStorageMap
from pybpfmaps.maps.columns import Columns
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.generic import GenericMap
from pybpfmaps.maps.hash import HashMap
from pybpfmaps.maps.info import MapInfo, list_maps
from pybpfmaps.maps.keyless import KeylessMap
from pybpfmaps.maps.local_storage import (
    CgrpStorageMap,
    InodeStorageMap,
    LocalStorageMap,
    SkStorageMap,
    TaskStorageMap,
)
from pybpfmaps.maps.lpm import LpmTrieMap
from pybpfmaps.maps.lru import LruHashMap
from pybpfmaps.maps.memory import ArrayMemory
from pybpfmaps.maps.of_maps import ArrayOfMapsMap, HashOfMapsMap
from pybpfmaps.maps.percpu import LruPerCpuHashMap, PerCpuArrayMap, PerCpuHashMap
from pybpfmaps.maps.prog_array import ProgArrayMap
from pybpfmaps.maps.queue import QueueMap, StackMap
from pybpfmaps.maps.redirect import CpuMap, CpuRedirect, DevMap, DevMapHash, Redirect
from pybpfmaps.maps.sockets import ReuseportSockArrayMap, SockHashMap, SockMap
from pybpfmaps.maps.stack_trace import BuildIdFrame, StackTraceMap

__all__ = [
    "ArenaMap",
    "ArrayMap",
    "ArrayMemory",
    "ArrayOfMapsMap",
    "BloomFilterMap",
    "BpfMap",
    "BuildIdFrame",
    "CgroupArrayMap",
    "CgroupStorageKey",
    "CgroupStorageMap",
    "CgrpStorageMap",
    "Columns",
    "CpuMap",
    "CpuRedirect",
    "DevMap",
    "DevMapHash",
    "GenericMap",
    "HashMap",
    "HashOfMapsMap",
    "InodeStorageMap",
    "KeylessMap",
    "LocalStorageMap",
    "LpmTrieMap",
    "LruHashMap",
    "LruPerCpuHashMap",
    "MapCore",
    "MapInfo",
    "MutableBpfMap",
    "OpaqueMap",
    "PerCpuArrayMap",
    "PerCpuCgroupStorageMap",
    "PerCpuHashMap",
    "PerfEventArrayMap",
    "ProgArrayMap",
    "QueueMap",
    "Redirect",
    "ReuseportSockArrayMap",
    "RingBufMap",
    "SkStorageMap",
    "SockHashMap",
    "SockMap",
    "StackMap",
    "StackTraceMap",
    "StructOpsMap",
    "TaskStorageMap",
    "UserRingBufMap",
    "XskMap",
    "list_maps",
]
