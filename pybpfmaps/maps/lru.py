"""``LruHashMap``: BPF_MAP_TYPE_LRU_HASH, a ``HashMap`` that evicts old keys instead of refusing new ones."""

from __future__ import annotations

from typing import ClassVar

from pybpfmaps._typevars import K, V
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps.hash import HashMap


class LruHashMap(HashMap[K, V]):
    """A BPF LRU hash map (``BPF_MAP_TYPE_LRU_HASH``).

    Inserting into a full map evicts a least-recently-used key rather than failing, so a write
    never raises ``MapFullError``. The kernel keeps per-CPU free lists, so the map may hold fewer
    than ``max_entries`` keys before it starts evicting; the newest key is always kept. Lookups
    from user space do not refresh a key's recency (only BPF programs do).
    ``MapFlags.NO_COMMON_LRU`` gives each CPU its own list (and rounds ``max_entries`` up to a
    multiple of the possible CPUs).

    Minimum kernel:
        4.10.
    """

    map_type: ClassVar[MapType | None] = MapType.LRU_HASH
    create_flags: ClassVar[MapFlags] = (
        MapFlags.NO_COMMON_LRU | MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | _validate.ACCESS_FLAGS
    )
