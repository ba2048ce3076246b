"""``SlotArray`` and ``WriteOnlySlots``: arrays whose slots may be empty (prog arrays, arrays of
maps, sockmaps), and arrays of descriptors the kernel never gives back (cgroup arrays, xskmaps).

Keys are indexes ``0..max_entries-1``; iteration and ``len()`` cover the occupied slots only (a
lookup of an empty slot is ENOENT), and ``ids()`` reads what the kernel answers for each slot (a
program's or map's id, a socket's cookie) without opening anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps import _fd_values, _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self


class SlotArray(MutableBpfMap[int, Any]):
    """An array whose slots may be empty (prog arrays, arrays of maps): indexes as keys, iteration
    and ``len()`` over the occupied slots only."""

    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        return u32

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key not in (None, u32):
            raise BpfArgumentError(f"{info.label}: its keys are indexes")
        return cls(fd, info, u32, cls._slot_value(info, value), pin_path)

    @classmethod
    def _slot_value(cls, info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
        """The value codec of a map of this class the kernel describes (*value*: one the caller gave)."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        """The occupied indexes, in order."""
        return (index for index, _ in _fd_values.ids(self._handle))

    def __len__(self) -> int:
        """How many slots hold something."""
        return sum(1 for _ in _fd_values.ids(self._handle))

    def ids(self) -> dict[int, int]:
        """``{index: id}`` of every occupied slot, as the kernel answers lookups; nothing is opened."""
        return dict(_fd_values.ids(self._handle))


class WriteOnlySlots(MutableBpfMap[int, Any]):
    """An array of descriptors the kernel takes but never gives back (cgroup arrays, xskmaps):
    ``m[i] = obj`` (anything with ``fileno()``, or an fd) and ``del m[i]``; reading an element or
    iterating raises the kernel's ``NotSupportedError``."""

    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS
    holds: ClassVar[str] = "object"
    """What the slots hold, for messages and the value codec's name."""

    @classmethod
    def create(cls, *, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE) -> Self:  # type: ignore[override]
        """A new array of *max_entries* empty slots."""
        return create_keyed(cls, u32, cls._slot_codec(), max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _slot_codec(cls) -> Codec[Any]:
        return _fd_values.FdValueCodec(cls.holds, int)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key not in (None, u32) or not (value is None or isinstance(value, _fd_values.FdValueCodec)):
            raise BpfArgumentError(f"{info.label}: its keys are indexes and its values {cls.holds}s")
        return cls(fd, info, u32, value if value is not None else cls._slot_codec(), pin_path)
