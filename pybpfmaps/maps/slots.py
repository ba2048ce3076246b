"""``SlotArray``: arrays whose slots may be empty (prog arrays, arrays of maps, sockmaps).

Keys are indexes ``0..max_entries-1``; iteration and ``len()`` cover the occupied slots only (a
lookup of an empty slot is ENOENT), and ``ids()`` reads what the kernel answers for each slot (a
program's or map's id, a socket's cookie) without opening anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps import _fd_values, _validate
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo


class SlotArray(MutableBpfMap[int, Any]):
    """An array whose slots may be empty (prog arrays, arrays of maps): indexes as keys, iteration
    and ``len()`` over the occupied slots only."""

    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        return u32

    def __iter__(self) -> Iterator[int]:
        """The occupied indexes, in order."""
        return (index for index, _ in _fd_values.ids(self._handle))

    def __len__(self) -> int:
        """How many slots hold something."""
        return sum(1 for _ in _fd_values.ids(self._handle))

    def ids(self) -> dict[int, int]:
        """``{index: id}`` of every occupied slot, as the kernel answers lookups; nothing is opened."""
        return dict(_fd_values.ids(self._handle))
