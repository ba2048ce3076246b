"""``PerfBufReader``: samples from a ``BPF_MAP_TYPE_PERF_EVENT_ARRAY``, one perf ring per CPU.

Each CPU gets a perf event for BPF output (``perf_event_open``) and a ring of ``pages`` pages
after a metadata page holding the ring's head (written by the kernel) and tail (written here).
Records are ``perf_event_header``s: a sample holds the bytes the program gave
``bpf_perf_event_output`` (padded so the record stays 8-byte aligned: up to 7 bytes more); a lost
record counts the samples the kernel dropped because the ring was full. Records of one CPU come in
order; the CPUs are read one after the other. See docs/kernel-notes.md#perf-buffers.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from typing import Any

from pybpfmaps._sys import perf
from pybpfmaps._sys.ordering import fence
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.streams.base import StreamReader, unmap
from pybpfmaps.streams.records import all_equal
from pybpfmaps.streams.runs import Run, RunList, record_count

PAGE = mmap.PAGESIZE
_HEADER = struct.Struct("<IHH")  # struct perf_event_header: type, misc, size
_U32 = struct.Struct("<I")
_FIRST = struct.Struct("=QI")  # a record's header read as one native word, then a sample's size
_LOST = struct.Struct("<QQ")  # after the header: id, lost


class _CpuRing:
    """One CPU's perf event and its mapped ring."""

    def __init__(self, cpu: int, pages: int, wakeup_bytes: int) -> None:
        self.cpu = cpu
        self.fd = perf.open_bpf_output(cpu, wakeup_bytes)
        try:
            self.memory = mmap.mmap(self.fd, (1 + pages) * PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(self.fd)
            raise
        view = memoryview(self.memory)
        self.positions = view[:PAGE].cast("Q")
        self.data = view[PAGE:].toreadonly()  # samples handed out are not for writing
        self.size = pages * PAGE
        self.pending: int | None = None  # the tail after the samples located, until handed back

    def close(self) -> None:
        self.positions.release()
        self.data.release()
        unmap(self.memory)
        os.close(self.fd)


class PerfBufReader(StreamReader):
    """Reads the perf rings of *cpus*; samples are decoded by *codec* (its size plus the padding), or come as ``bytes``.

    ``lost`` counts the samples the kernel dropped, by CPU; *on_lost* (``(cpu, count)``) hears of
    each drop as it is read. *on_close* runs as the reader closes, before the perf events do.
    """

    slack = 8  # a sample is padded so that records stay 8-byte aligned

    def __init__(
        self, cpus: list[int], codec: Codec[Any] | None, label: str, *, pages: int = 8, wakeup_bytes: int = 0,
        on_lost: Callable[[int, int], object] | None = None, on_close: Callable[[], object] | None = None,
    ) -> None:  # fmt: skip
        if not isinstance(pages, int) or pages < 1 or pages & (pages - 1):
            raise BpfArgumentError(f"a perf buffer has a power of 2 of pages per CPU, got {pages!r}")
        if not isinstance(wakeup_bytes, int) or not 0 <= wakeup_bytes < pages * PAGE:
            raise BpfArgumentError(f"wakeup_bytes is from 0 (every sample) to below the ring's {pages * PAGE} bytes")
        super().__init__(label, on_close)
        self.codec = codec
        self.on_lost = on_lost
        self.lost: dict[int, int] = dict.fromkeys(cpus, 0)
        self._rings: list[_CpuRing] = []
        try:
            for cpu in cpus:
                self._rings.append(_CpuRing(cpu, pages, wakeup_bytes))
                self.waiter.add(self._rings[-1].fd)
        except BaseException:
            self.close()
            raise

    @property
    def fds(self) -> dict[int, int]:
        """The perf event fd of each CPU: what the map's slots must hold for programs to write here."""
        return {ring.cpu: ring.fd for ring in self._rings}

    def _locate(self, limit: int | None) -> list[Run]:
        runs: list[Run] = []
        left = limit
        for ring in self._rings:
            head = ring.positions[perf.DATA_HEAD // 8]
            tail = ring.positions[perf.DATA_TAIL // 8]
            fence()  # acquire: the records below are read after the head that published them
            while tail < head and left != 0:
                run = self._uniform_run(ring, head, tail, left)
                if run is not None:
                    found, tail = [run], tail + run.count * run.stride
                else:  # record by record, up to the end of the ring: from its start, runs may come again
                    found, tail = self._published(ring, min(head, tail - tail % ring.size + ring.size), tail, left)
                runs.extend(found)
                if left is not None:
                    left -= record_count(found)
            ring.pending = tail
        return runs

    def _uniform_run(self, ring: _CpuRing, head: int, tail: int, limit: int | None) -> Run | None:
        """The samples from *tail* (at most *limit*) when they are all alike up to *head* or, if the
        records go on past the end of the ring, up to the last one that ends before it (same size,
        no loss: the usual stream), checked in one comparison; else ``None``."""
        data, size = ring.data, ring.size
        offset, available = tail % size, head - tail
        contiguous = min(available, size - offset)
        if contiguous < 16:
            return None
        kind, _misc, length = _HEADER.unpack_from(data, offset)
        if kind != perf.PERF_RECORD_SAMPLE or not length or length % 8:
            return None
        count = contiguous // length
        if not count or (contiguous == available and available % length):
            return None
        header, raw = _FIRST.unpack_from(data, offset)  # the header as one word, and the sample's size
        if raw != length - 12:  # the event samples only PERF_SAMPLE_RAW: header, size, data
            return None
        # every record's header as the first's: the same size then means the same sample size too
        block = data[offset : offset + count * length]
        try:
            if not all_equal(block.cast("Q")[:: length // 8], header):
                return None
        finally:
            block.release()
        return Run(data, offset, 12, raw, length, count if limit is None else min(count, limit))

    def _published(self, ring: _CpuRing, end: int, tail: int, limit: int | None) -> tuple[list[Run], int]:
        """The samples that start from *tail* to *end* record by record (at most *limit*), losses
        counted; the tail after them."""
        data, size = ring.data, ring.size
        found = RunList()
        while tail < end and found.count != limit:
            offset = tail % size
            kind, _misc, length = _HEADER.unpack_from(data, offset)
            record, start = data, offset
            if offset + length > size:  # wraps around the end of the ring: copied into one piece
                record, start = memoryview(bytes(data[offset:]) + bytes(data[: offset + length - size])), 0
            if kind == perf.PERF_RECORD_SAMPLE:
                (raw,) = _U32.unpack_from(record, start + 8)
                found.add(record, start, 12, raw, length)
            elif kind == perf.PERF_RECORD_LOST:
                _id, lost = _LOST.unpack_from(record, start + 8)
                self.lost[ring.cpu] += lost
                if self.on_lost is not None:
                    self.on_lost(ring.cpu, lost)
            tail += length or 8  # a zero size never comes; stepping on keeps a corrupt ring from looping
        return found.runs, tail

    def _hand_back(self) -> None:
        for ring in self._rings:
            if ring.pending is not None:
                self._store_tail(ring, ring.pending)
                ring.pending = None

    @staticmethod
    def _store_tail(ring: _CpuRing, tail: int) -> None:
        fence()  # release: every sample read before the kernel may reuse its space
        ring.positions[perf.DATA_TAIL // 8] = tail

    def _unmap(self) -> None:
        for ring in self._rings:
            ring.close()
        self._rings = []

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._rings)} CPUs"
        record = "bytes" if self.codec is None else self.codec.name
        return f"<PerfBufReader of {self.label}: {state}, records as {record}, {sum(self.lost.values())} lost>"
