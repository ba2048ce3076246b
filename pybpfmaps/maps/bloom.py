"""``BloomFilterMap``: a set that may answer "maybe" but never forgets (Linux 5.16+).

``add(v)`` pushes a value's bytes through the filter's hash functions (BPF_MAP_UPDATE_ELEM without
a key), ``v in bf`` asks whether it may have been added (BPF_MAP_LOOKUP_ELEM with the value: ENOENT
means surely not). There are no false negatives; false positives grow with the number of values
added beyond ``max_entries``. Nothing can be removed or listed: the filter keeps only bits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pybpfmaps._sys import uapi
from pybpfmaps._typevars import V
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps.keyless import KeylessMap

if TYPE_CHECKING:
    from typing_extensions import Self

MAX_HASHES = 15
"""The most hash functions the kernel takes (the low 4 bits of ``map_extra``)."""


class BloomFilterMap(KeylessMap[V]):
    """``BPF_MAP_TYPE_BLOOM_FILTER``: ``add(value)`` and ``value in bf``; no false negatives."""

    map_type = MapType.BLOOM_FILTER

    @classmethod
    def create(
        cls, *, value: Codec[V] | type[V], max_entries: int, hashes: int = 0, name: str = "",
        flags: MapFlags | int = MapFlags.NONE, btf: bool = True,
    ) -> Self:  # fmt: skip
        """A new filter sized for *max_entries* values, with *hashes* hash functions (1 to 15; 0:
        the kernel's default, 5). More hashes: fewer false positives, slower adds and checks."""
        if not isinstance(hashes, int) or isinstance(hashes, bool) or not 0 <= hashes <= MAX_HASHES:
            raise BpfArgumentError(
                f"hashes must be an int from 0 (the kernel's default) to {MAX_HASHES}, got {hashes!r}"
            )
        return cls._create(value, max_entries, name, flags, btf, map_extra=hashes)

    @property
    def hashes(self) -> int:
        """The number of hash functions (the kernel's default, 5, when created with 0)."""
        return (self._handle.info.map_extra & 0xF) or 5

    def add(self, value: V) -> None:
        """Put *value* in the filter; ``v in bf`` is true from then on."""
        self._push(value, uapi.BPF_ANY)

    def update(self, values: Iterable[V]) -> int:
        """Add each of *values*; all are encoded before the first add. Returns how many; a failure is
        a ``BatchUpdateError`` whose ``applied`` says how many were added."""
        return self._push_all(values, uapi.BPF_ANY, "update")

    def __contains__(self, value: object) -> bool:
        """Whether *value* may have been added: ``False`` is certain, ``True`` may be a false positive."""
        h = self._handle
        data = h.pack_value(value)
        with h.translated():
            result: bool = h.call(h.commands.map_holds_value, data)
        return result
