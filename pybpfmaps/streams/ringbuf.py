"""``RingBufReader``: records from a ``BPF_MAP_TYPE_RINGBUF``, read through ``mmap`` and waited for with ``epoll``.

The memory layout is ``ring_layout``'s; this reader writes only the consumer position. A record
still busy stops it; discarded ones are skipped. See docs/kernel-notes.md#ring-buffers.
"""

from __future__ import annotations

from typing import Any

from pybpfmaps._sys.ordering import fence
from pybpfmaps.codecs.base import Codec
from pybpfmaps.streams.base import StreamReader
from pybpfmaps.streams.records import all_equal
from pybpfmaps.streams.ring_layout import BUSY_BIT, DISCARD_BIT, HEADER_SIZE, RingMapping
from pybpfmaps.streams.runs import Run, RunList


class RingBufReader(StreamReader):
    """Reads one ring buffer; records are decoded by *codec*, or come as ``bytes``.

    ``consume()`` takes what is there now, ``poll(timeout)`` waits for something first, iteration
    waits for ever (until ``close()``).
    """

    def __init__(self, fd: int, size: int, codec: Codec[Any] | None, label: str) -> None:
        super().__init__(label)
        self.codec = codec
        try:
            self._ring = RingMapping(fd, size, consumer=True)
        except BaseException:
            self.waiter.close()
            raise
        self._pending: int | None = None  # the consumer position after the records located, until handed back
        self.waiter.add(fd)

    @property
    def available(self) -> int:
        """Bytes the producer has published that this reader has not consumed (headers included)."""
        with self._lock:
            return 0 if self.closed else self._ring.used()

    def _locate(self, limit: int | None) -> list[Run]:
        start, end = self._ring.consumer[0], self._ring.producer[0]
        run = self._uniform_run(start, end, limit)
        if run is not None:
            self._pending = start + run.count * run.stride
            fence()  # acquire: the records are read after the headers that published them
            return [run]
        found, self._pending = self._published(start, end, limit)
        fence()
        return found.runs

    def _uniform_run(self, position: int, end: int, limit: int | None) -> Run | None:
        """The records up to *end* (at most *limit*) when every one is finished and as long as the first
        (the usual stream): their headers are then checked in one comparison."""
        if end - position < 2 * HEADER_SIZE:
            return None
        offset = position & self._ring.mask
        length = self._ring.headers[offset >> 2]
        if length & (BUSY_BIT | DISCARD_BIT):
            return None
        stride = length + HEADER_SIZE + 7 & ~7
        count = (end - position) // stride
        if count < 2 or (end - position) % stride:
            return None
        # the data is mapped twice in a row: a run that wraps around the end is still one piece
        headers = self._ring.headers[offset >> 2 : (offset + count * stride) >> 2 : stride >> 2]
        same = all_equal(headers, length)
        headers.release()
        if not same:
            return None
        return Run(self._ring.data, offset, HEADER_SIZE, length, stride, count if limit is None else min(count, limit))

    def _published(self, position: int, end: int, limit: int | None) -> tuple[RunList, int]:
        """The finished records from *position* to *end* (at most *limit*), and the position after them."""
        headers, mask, data = self._ring.headers, self._ring.mask, self._ring.data
        found = RunList()
        while position < end and found.count != limit:
            offset = position & mask
            length = headers[offset >> 2]
            if length & BUSY_BIT:
                break  # still being written: it and the records after it wait for the next call
            stride = (length & ~DISCARD_BIT) + HEADER_SIZE + 7 & ~7
            if not length & DISCARD_BIT:
                found.add(data, offset, HEADER_SIZE, length, stride)
            position += stride
        return found, position

    def _hand_back(self) -> None:
        if self._pending is not None:
            self._store_consumer(self._pending)
            self._pending = None

    def _store_consumer(self, position: int) -> None:
        fence()  # release: every record read before the kernel may reuse its space
        if position != self._ring.consumer[0]:
            self._ring.consumer[0] = position

    def _unmap(self) -> None:
        self._ring.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.available} bytes waiting"
        record = "bytes" if self.codec is None else self.codec.name
        return f"<RingBufReader of {self.label}: {self._ring.size} bytes, records as {record}, {state}>"
