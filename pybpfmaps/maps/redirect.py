"""``DevMap``, ``DevMapHash`` and ``CpuMap``: where ``bpf_redirect_map()`` sends packets (XDP).

A devmap holds interfaces: ``m[i] = "veth0"`` (a name or an index, in this network namespace);
with 8-byte values (``create(with_program=True)``, the kernel's ``struct bpf_devmap_val``) an
entry may also carry an XDP program that runs on the packet before it leaves: ``m[i] =
Redirect("veth0", program)``. A cpumap holds, per CPU, the queue size of the kernel thread that
takes redirected packets (and optionally a program): ``m[cpu] = 2048``.

Reading gives what the kernel holds: the interface name (or index if it is gone) or queue size,
and for entries with programs a ``Redirect`` / ``CpuRedirect`` whose ``program`` is the id.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Buffer, Codec
from pybpfmaps.codecs.interfaces import IfindexCodec, ifindex
from pybpfmaps.codecs.ints import u32
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.slots import SlotArray

if TYPE_CHECKING:
    from typing_extensions import Self

_PAIR = struct.Struct("=II")


class Redirect(NamedTuple):
    """A devmap entry with a program: the interface (name or index) and the program (written as a
    ``BpfProgram`` or fd, read as its id; 0 or ``None``: none)."""

    interface: str | int
    program: Any = None


class CpuRedirect(NamedTuple):
    """A cpumap entry with a program: the queue size and the program (as ``Redirect.program``)."""

    qsize: int
    program: Any = None


def _program_fd(program: Any) -> int:
    if program is None or program == 0:
        return 0
    number = program.fileno() if hasattr(program, "fileno") else program
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise CodecTypeError(f"expected a program object, its fd or None, got {program!r}")
    return number


class DevValueCodec(Codec[Any]):
    """``struct bpf_devmap_val`` (8 bytes): an interface and an optional program."""

    __slots__ = ("interface",)

    def __init__(self, interface: IfindexCodec = ifindex) -> None:
        super().__init__(8, "devmap_val", 4)
        self.interface = interface

    def pack(self, value: Any) -> bytes:
        target = value if isinstance(value, tuple) else Redirect(value)
        if len(target) != 2:
            raise CodecTypeError(
                f"{self.name} cannot encode {value!r}: expected an interface or Redirect(interface, program)"
            )
        index = u32.unpack(self.interface.pack(target[0]))
        return _PAIR.pack(index, _program_fd(target[1]))

    def unpack(self, data: Buffer) -> Any:
        index, program = _PAIR.unpack(data)
        interface = self.interface.unpack(u32.pack(index))
        return Redirect(interface, program) if program else interface


class CpuValueCodec(Codec[Any]):
    """``struct bpf_cpumap_val``: a queue size, and with 8 bytes an optional program."""

    __slots__ = ()

    def __init__(self, size: int) -> None:
        super().__init__(size, "cpumap_val", 4)

    def pack(self, value: Any) -> bytes:
        target = value if isinstance(value, tuple) else CpuRedirect(value)
        qsize, program = target
        if isinstance(qsize, bool) or not isinstance(qsize, int) or not 0 < qsize < 1 << 32:
            raise CodecError(f"{self.name} cannot encode {value!r}: the queue size is a positive u32")
        if self.size == 4:
            if _program_fd(program):
                raise CodecError(f"{self.name}: this cpumap's 4-byte values have no room for a program")
            return u32.pack(qsize)
        return _PAIR.pack(qsize, _program_fd(program))

    def unpack(self, data: Buffer) -> Any:
        if self.size == 4:
            return u32.unpack(bytes(data))
        qsize, program = _PAIR.unpack(data)
        return CpuRedirect(qsize, program) if program else qsize


def _devmap_value(info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
    if value is not None:
        return as_codec(value, "value")
    return DevValueCodec() if info.value_size == 8 else ifindex


class DevMap(SlotArray):
    """``BPF_MAP_TYPE_DEVMAP``: interfaces by index, for ``bpf_redirect_map()``. Linux 4.14+ (a
    program per entry: 5.8+)."""

    map_type: ClassVar[MapType | None] = MapType.DEVMAP

    @classmethod
    def create(  # type: ignore[override]
        cls, *, max_entries: int, with_program: bool = False, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new devmap of *max_entries* slots; *with_program*: 8-byte values that may carry a program."""
        value = DevValueCodec() if with_program else ifindex
        return create_keyed(cls, u32, value, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _slot_value(cls, info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
        return _devmap_value(info, value)


class DevMapHash(MutableBpfMap[Any, Any]):
    """``BPF_MAP_TYPE_DEVMAP_HASH``: interfaces by key (an ifindex, say). Linux 5.4+."""

    map_type: ClassVar[MapType | None] = MapType.DEVMAP_HASH
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, key: Codec[Any] | type = u32, max_entries: int, with_program: bool = False, name: str = "",
        flags: MapFlags | int = MapFlags.NONE,
    ) -> Self:  # fmt: skip
        """A new devmap hash of *key* → interfaces (*with_program*: entries may carry a program)."""
        value = DevValueCodec() if with_program else ifindex
        return create_keyed(cls, as_codec(key, "key"), value, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        return super()._from_kernel(fd, info, key, _devmap_value(info, value), pin_path, btf)


class CpuMap(MutableBpfMap[int, Any]):
    """``BPF_MAP_TYPE_CPUMAP``: per CPU, the queue size of the thread that takes packets redirected
    to that CPU. Linux 4.15+ (a program per entry: 5.9+)."""

    map_type: ClassVar[MapType | None] = MapType.CPUMAP
    create_flags: ClassVar[MapFlags] = _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, max_entries: int, with_program: bool = False, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new cpumap for CPUs ``0..max_entries-1`` (at most the possible CPUs)."""
        value = CpuValueCodec(8 if with_program else 4)
        return create_keyed(cls, u32, value, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key not in (None, u32):
            raise BpfArgumentError(f"{info.label}: a cpumap's keys are CPU numbers")
        codec = as_codec(value, "value") if value is not None else CpuValueCodec(info.value_size)
        return cls(fd, info, u32, codec, pin_path)
