"""Maps that are not element stores: ``RingBufMap``, ``UserRingBufMap``, ``PerfEventArrayMap``,
``ArenaMap`` and ``StructOpsMap``.

Each opens as its own class (``info``, pinning, lifecycle, ``repr``) and can be created where user
space may create it. Reading and writing their contents (events, shared memory, a kernel struct's
operations) is not done through elements: ring buffers and perf buffers are read as streams, an
arena is memory mapped. A ``PerfEventArrayMap`` takes perf event fds by CPU, write-only like a
``CgroupArrayMap``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.cpus import online_cpus, possible_cpus
from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import NO_BYTES, RawCodec
from pybpfmaps.errors import BpfArgumentError, BpfError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _create, _display, _validate
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.slots import WriteOnlySlots
from pybpfmaps.maps.streaming import RecordType, StreamingMap, mapping_errors, record_codec
from pybpfmaps.streams.perfbuf import PerfBufReader
from pybpfmaps.streams.ringbuf import RingBufReader
from pybpfmaps.streams.user_ringbuf import UserRingBufWriter

if TYPE_CHECKING:
    from typing_extensions import Self

PAGE = 4096


class OpaqueMap(MapCore):
    """A map without elements to read or write from user space; its key and value sizes as the kernel says."""

    def __init__(self, fd: Fd, info: MapInfo, pin_path: str | None = None) -> None:
        """Take ownership of *fd*. Use ``create()`` or the ``from_*()`` constructors instead."""
        self._handle = self._handle_type(
            fd, info, RawCodec(info.key_size), RawCodec(info.value_size), type(self).__name__
        )
        self._pin_path = pin_path

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key is not None or value not in (None, NO_BYTES):  # NO_BYTES: what create() describes them with
            raise BpfArgumentError(f"{info.label} has no keys or values to give codecs for")
        return cls(fd, info, pin_path)

    @classmethod
    def _create_opaque(cls, max_entries: int, name: str, flags: int, map_extra: int = 0) -> Self:
        return _create.create_as(cls, None, NO_BYTES, max_entries, name, flags, False, map_extra=map_extra)

    def __repr__(self) -> str:
        return _display.describe(self._handle, type(self).__name__, self._pin_path, codecs=False)


def _buffer_size(size: int) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < PAGE or size & (size - 1):
        raise BpfArgumentError(f"a ring buffer's size is a power of 2 of at least {PAGE} bytes, got {size!r}")
    return size


class _RingBuffer(OpaqueMap):
    """A ring buffer of either direction: created by size, its records of a type (``value=``) or ``bytes``."""

    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE
    _record: Codec[Any] | None = None

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key is not None:
            raise BpfArgumentError(f"{info.label} has no keys; value= is the type of its records")
        ring = cls(fd, info, pin_path)
        ring._record = None if value in (None, NO_BYTES) else record_codec(ring, value)
        return ring

    @classmethod
    def create(
        cls, *, size: int, name: str = "", flags: MapFlags | int = MapFlags.NONE, value: RecordType = None
    ) -> Self:
        """A new ring buffer of *size* bytes (a power of 2, at least a page); *value*: its records' type."""
        ring = cls._create_opaque(_buffer_size(size), name, int(flags))
        ring._record = record_codec(ring, value)
        return ring

    @property
    def size(self) -> int:
        """The buffer's size in bytes."""
        return self.max_entries

    def __repr__(self) -> str:
        records = f"records={self._record!r}" if self._record is not None else "records=bytes"
        return _display.describe(self._handle, type(self).__name__, self._pin_path, codecs=False, details=(records,))


class RingBufMap(StreamingMap, _RingBuffer):
    """``BPF_MAP_TYPE_RINGBUF``: programs write records, user space reads them in order. Linux 5.8+.

    ``consume()``, ``poll(timeout)``, ``for record in rb`` and ``async for record in rb`` read the
    records, as ``bytes`` or decoded by the record type: ``value=`` when opening or creating it, or
    ``open_reader(record)``.
    """

    map_type: ClassVar[MapType | None] = MapType.RINGBUF

    def _new_reader(self, record: Codec[Any] | None, options: dict[str, Any]) -> RingBufReader:
        if options:
            raise BpfArgumentError(f"a ring buffer reader takes no options, got {', '.join(options)}")
        label = self._handle.info.label
        with mapping_errors(label):
            return RingBufReader(self._handle.live_fd(), self.size, record, label)

    def close(self) -> None:
        """Close the reader (waking a thread that waits in it), then the map's fd."""
        self._close_reader()
        super().close()


class UserRingBufMap(_RingBuffer):
    """``BPF_MAP_TYPE_USER_RINGBUF``: user space writes records, programs drain them
    (``bpf_user_ringbuf_drain``). Linux 6.1+.

    ``write(record)``, ``write_many(records)`` and ``with m.reserve(size) as space:`` write
    records, as ``bytes`` or encoded by the record type (``value=`` when opening or creating it,
    or ``open_writer(record)``).
    """

    map_type: ClassVar[MapType | None] = MapType.USER_RINGBUF
    _writer: UserRingBufWriter | None = None

    def open_writer(self, record: RecordType = None) -> UserRingBufWriter:
        """(Re)open the map's writer, encoding records by *record* (a codec, an attrs class, or a
        type name in the BTF of a program that drains the map), which becomes the map's record type
        (``None``: keep the one it has). It becomes ``self.writer``; one opened before is closed."""
        if record is not None:
            self._record = record_codec(self, record)
        label = self._handle.info.label
        fd = self._handle.live_fd()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        with mapping_errors(label):
            self._writer = UserRingBufWriter(fd, self.size, self._record, label)
        return self._writer

    @property
    def writer(self) -> UserRingBufWriter:
        """The map's writer, opened with the map's record type at first use."""
        return self._writer if self._writer is not None else self.open_writer()

    def write(self, record: Any) -> None:
        """Write one record for the program to drain; ``MapFullError`` if there is no room (nothing written)."""
        self.writer.write(record)

    def write_many(self, records: Iterable[Any]) -> int:
        """Write records in order until one does not fit; how many were written (all are encoded first)."""
        return self.writer.write_many(records)

    def reserve(self, size: int) -> contextlib.AbstractContextManager[memoryview]:
        """``with m.reserve(size) as space:`` fill *space*; submitted at the end, discarded on an exception."""
        return self.writer.reserve(size)

    @property
    def free(self) -> int:
        """Bytes records may still take, headers included."""
        return self.writer.free

    def close(self) -> None:
        """Unmap the writer, then close the map's fd; what was written stays for the program."""
        if self._writer is not None:
            self._writer.close()
        super().close()


class ArenaMap(OpaqueMap):
    """``BPF_MAP_TYPE_ARENA``: pages of memory shared by programs and user space (mmap). Linux 6.9+."""

    map_type: ClassVar[MapType | None] = MapType.ARENA
    create_flags: ClassVar[MapFlags] = MapFlags.MMAPABLE | MapFlags.NUMA_NODE

    @classmethod
    def create(cls, *, pages: int, name: str = "", flags: MapFlags | int = MapFlags.NONE) -> Self:
        """A new arena of up to *pages* pages (allocated as programs or user space touch them)."""
        return cls._create_opaque(_validate.max_entries(pages), name, int(flags) | MapFlags.MMAPABLE)


class StructOpsMap(OpaqueMap):
    """``BPF_MAP_TYPE_STRUCT_OPS``: a kernel struct of operations implemented by BPF programs
    (TCP congestion control, sched_ext...); made by loaders from a kernel BTF type. Linux 5.6+."""

    map_type: ClassVar[MapType | None] = MapType.STRUCT_OPS


class PerfEventArrayMap(StreamingMap, WriteOnlySlots):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: perf event fds by CPU, for ``bpf_perf_event_output`` and
    ``bpf_perf_event_read``; write-only from user space. Linux 4.3+.

    ``consume()``, ``poll(timeout)``, ``for record in m`` and ``async for record in m`` read what
    programs send with ``bpf_perf_event_output``: at the first of them (or at ``open_reader()``,
    which takes the record type, ``pages`` per CPU, ``wakeup_bytes`` and ``on_lost``), a perf buffer
    is opened on each online CPU and put in its slot; ``reader.lost`` counts the samples dropped.
    Iterating gives records, not slots: the kernel never lists a perf event array's slots.
    """

    map_type: ClassVar[MapType | None] = MapType.PERF_EVENT_ARRAY
    holds = "perf event"

    @classmethod
    def create(  # type: ignore[override]
        cls, *, max_entries: int | None = None, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new array of slots, one per possible CPU unless *max_entries* says otherwise."""
        return super().create(max_entries=max_entries or possible_cpus(), name=name, flags=flags)

    def _new_reader(self, record: Codec[Any] | None, options: dict[str, Any]) -> PerfBufReader:
        cpus = [cpu for cpu in online_cpus() if cpu < self.max_entries]
        label = self._handle.info.label

        def empty_slots() -> None:  # programs stop writing into buffers nobody reads
            for cpu in cpus:
                with contextlib.suppress(BpfError):
                    del self[cpu]

        with mapping_errors(label):
            reader = PerfBufReader(cpus, record, label, on_close=empty_slots, **options)
        try:
            for cpu, fd in reader.fds.items():
                self[cpu] = fd
        except BaseException:
            reader.close()
            raise
        return reader

    def close(self) -> None:
        """Close the reader (emptying the slots it filled, waking a thread that waits in it), then the map's fd."""
        self._close_reader()
        super().close()
