"""``HashMap``: BPF_MAP_TYPE_HASH as a full ``MutableMapping`` that refuses new keys when full."""

from __future__ import annotations

from typing import ClassVar

from pybpfmaps._typevars import K, V
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._mutable import MutableBpfMap


class HashMap(MutableBpfMap[K, V]):
    """A BPF hash map (``BPF_MAP_TYPE_HASH``): a mapping that refuses new keys when full.

    ``len()`` reads the whole map (the kernel keeps no count). Iteration yields each key once
    even while others change the map; see [docs/api.md](api.md) for the exact guarantees.

    Minimum kernel:
        3.19; ``pop()`` is atomic from Linux 5.14 (BPF_MAP_LOOKUP_AND_DELETE_ELEM).

    Examples:
        >>> from pybpfmaps import HashMap, u32, u64
        >>> with HashMap.create(key=u32, value=u64, max_entries=16) as m:
        ...     m[1] = 10
        ...     m.setdefault(2, 20)
        ...     sorted(m.items())
        20
        [(1, 10), (2, 20)]
    """

    map_type: ClassVar[MapType | None] = MapType.HASH
    create_flags: ClassVar[MapFlags] = (
        MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | _validate.ACCESS_FLAGS
    )
