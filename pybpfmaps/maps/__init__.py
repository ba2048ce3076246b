"""The map classes: ``BpfMap`` and one subclass per supported kernel map type."""

from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.array import ArrayMap
from pybpfmaps.maps.base import BpfMap
from pybpfmaps.maps.columns import Columns
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.hash import HashMap
from pybpfmaps.maps.info import MapInfo, list_maps
from pybpfmaps.maps.lpm import LpmTrieMap
from pybpfmaps.maps.lru import LruHashMap
from pybpfmaps.maps.percpu import LruPerCpuHashMap, PerCpuArrayMap, PerCpuHashMap

__all__ = [
    "ArrayMap",
    "BpfMap",
    "Columns",
    "HashMap",
    "LpmTrieMap",
    "LruHashMap",
    "LruPerCpuHashMap",
    "MapCore",
    "MapInfo",
    "MutableBpfMap",
    "PerCpuArrayMap",
    "PerCpuHashMap",
    "list_maps",
]
