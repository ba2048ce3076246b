"""``ProgArrayMap``: BPF_MAP_TYPE_PROG_ARRAY, the table of programs ``bpf_tail_call`` jumps into.

``m[i] = program`` stores a loaded program (a ``BpfProgram``, or its fd) at index *i*; ``m[i]``
opens the program stored there (the kernel answers with its id); ``del m[i]`` empties the slot.
Iterating gives the occupied indexes only, and ``len()`` counts them. ``ids()`` gives
``{index: program id}`` without opening anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _fd_values
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.slots import SlotArray
from pybpfmaps.program import BpfProgram

if TYPE_CHECKING:
    from typing_extensions import Self

PROGRAM = _fd_values.FdValueCodec("program", BpfProgram.from_id)
"""A prog array's value: a ``BpfProgram`` (or its fd) in, the program opened from its id out."""


class ProgArrayMap(SlotArray):
    """``BPF_MAP_TYPE_PROG_ARRAY``: programs by index, for ``bpf_tail_call``. Linux 4.2+."""

    map_type: ClassVar[MapType | None] = MapType.PROG_ARRAY

    @classmethod
    def create(cls, *, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE) -> Self:  # type: ignore[override]
        """A new, empty prog array of *max_entries* slots."""
        return create_keyed(cls, u32, PROGRAM, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _slot_value(cls, info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
        if value not in (None, PROGRAM):
            raise BpfArgumentError(f"{info.label}: a prog array's values are programs")
        return PROGRAM
