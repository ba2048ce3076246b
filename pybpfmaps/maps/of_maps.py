"""``ArrayOfMapsMap`` and ``HashOfMapsMap``: maps whose values are other maps (Linux 4.12+).

Created with an inner map as the template (``inner=``): every map stored must have its type, key
and value sizes and flags. ``outer[k] = inner_map`` stores a map (any map object, or its fd);
``outer[k]`` opens the map stored there (the kernel answers with its id) as its own class, with
the codecs its BTF gives; the caller owns it (close it, or use ``with``). ``ids()`` gives
``{key: map id}`` without opening anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _fd_values, _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.slots import SlotArray

if TYPE_CHECKING:
    from typing_extensions import Self

INNER_MAP = _fd_values.FdValueCodec("map", MapCore.from_id)
"""A map of maps' value: a map object (or its fd) in, the map opened from its id out."""


def _inner_fd(inner: Any) -> int:
    if not isinstance(inner, MapCore):
        raise BpfArgumentError(f"inner must be a map object to use as the template, got {inner!r}")
    return inner.fileno()


class ArrayOfMapsMap(SlotArray):
    """``BPF_MAP_TYPE_ARRAY_OF_MAPS``: maps by index; empty slots are absent from iteration."""

    map_type: ClassVar[MapType | None] = MapType.ARRAY_OF_MAPS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, inner: MapCore, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new array of *max_entries* empty slots for maps like *inner* (same type, sizes, flags)."""
        return create_keyed(cls, u32, INNER_MAP, max_entries, name, int(flags), False, _inner_fd(inner))

    @classmethod
    def _slot_value(cls, info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
        if value not in (None, INNER_MAP):
            raise BpfArgumentError(f"{info.label}: an array of maps' values are maps")
        return INNER_MAP


class HashOfMapsMap(MutableBpfMap[Any, Any]):
    """``BPF_MAP_TYPE_HASH_OF_MAPS``: maps by key, a ``dict`` of maps."""

    map_type: ClassVar[MapType | None] = MapType.HASH_OF_MAPS
    create_flags: ClassVar[MapFlags] = MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, key: Codec[Any] | type, inner: MapCore, max_entries: int, name: str = "",
        flags: MapFlags | int = MapFlags.NONE,
    ) -> Self:  # fmt: skip
        """A new, empty map of *key* → maps like *inner* (same type, sizes, flags)."""
        return create_keyed(
            cls, as_codec(key, "key"), INNER_MAP, max_entries, name, int(flags), False, _inner_fd(inner)
        )

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if value not in (None, INNER_MAP):
            raise BpfArgumentError(f"{info.label}: a hash of maps' values are maps")
        return super()._from_kernel(fd, info, key, INNER_MAP, pin_path, btf)

    def ids(self) -> dict[Any, int]:
        """``{key: map id}`` of every element, as the kernel answers lookups; nothing is opened."""
        return dict(_fd_values.ids(self._handle))
