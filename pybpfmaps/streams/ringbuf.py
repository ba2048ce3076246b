"""``RingBufReader``: records from a ``BPF_MAP_TYPE_RINGBUF``, read through ``mmap`` and waited for with ``epoll``.

The memory layout is ``ring_layout``'s; this reader writes only the consumer position. A record
still busy stops it; discarded ones are skipped. See docs/kernel-notes.md#ring-buffers.
"""

from __future__ import annotations

import struct
from typing import Any

from pybpfmaps._sys.ordering import fence
from pybpfmaps.codecs.base import Codec
from pybpfmaps.streams.base import StreamReader
from pybpfmaps.streams.records import decode_records, split_run
from pybpfmaps.streams.ring_layout import BUSY_BIT, DISCARD_BIT, HEADER_SIZE, RingMapping

_LENGTH = struct.Struct("=I")


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
        self._pending: int | None = None  # a consumer position held back while zero-copy views are out
        self.waiter.add(fd)

    @property
    def available(self) -> int:
        """Bytes the producer has published that this reader has not consumed (headers included)."""
        with self._lock:
            return 0 if self.closed else self._ring.used()

    def _read(self, copy: bool, limit: int | None) -> list[Any]:
        self._release_pending()
        start, end = self._ring.consumer[0], self._ring.producer[0]
        run = self._uniform_run(start, end)
        if run and limit is not None:
            run = (*run[:3], min(run[3], limit))
        if not copy:
            views, position = self._take_run(*run, copy=False) if run else self._published(start, end, limit)
            self._pending = position
            return views
        found, position = self._take_run(*run, copy=True) if run else self._published(start, end, limit)
        records = found if run and self.codec is None else decode_records(self.codec, found)  # a run: bytes already
        if not run:
            for view in found:
                view.release()
        self._store_consumer(position)
        return records

    def _uniform_run(self, position: int, end: int) -> tuple[int, int, int, int] | None:
        """``(offset, stride, length, count)`` when every record up to *end* is finished and as long
        as the first (the usual stream): their headers are then checked in one comparison."""
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
        same = headers.tobytes() == _LENGTH.pack(length) * count
        headers.release()
        return (offset, stride, length, count) if same else None

    def _take_run(self, offset: int, stride: int, length: int, count: int, copy: bool) -> tuple[list[Any], int]:
        """The records of a uniform run: ``bytes`` copied out of the buffer by ``struct``, or views."""
        fence()  # acquire: the bytes below are read after the headers that published them
        start = offset + HEADER_SIZE
        position = self._ring.consumer[0] + count * stride
        if not copy:
            data = self._ring.data
            return [data[at : at + length] for at in range(start, start + count * stride, stride)], position
        return split_run(self._ring.data, offset, HEADER_SIZE, length, stride, count), position

    def _published(self, position: int, end: int, limit: int | None) -> tuple[list[memoryview], int]:
        """Views of the finished records from *position* to *end* (at most *limit*), and the position after them."""
        headers, mask = self._ring.headers, self._ring.mask
        spans: list[tuple[int, int]] = []
        while position < end and len(spans) != limit:
            offset = position & mask
            length = headers[offset >> 2]
            if length & BUSY_BIT:
                break  # still being written: it and the records after it wait for the next call
            if not length & DISCARD_BIT:
                spans.append((offset + HEADER_SIZE, length))
            position += (length & ~DISCARD_BIT) + HEADER_SIZE + 7 & ~7
        fence()  # acquire: the bytes below are read after the headers that published them
        data = self._ring.data
        return [data[start : start + length] for start, length in spans], position

    def _store_consumer(self, position: int) -> None:
        fence()  # release: every record read before the kernel may reuse its space
        if position != self._ring.consumer[0]:
            self._ring.consumer[0] = position

    def _release_pending(self) -> None:
        if self._pending is not None:
            self._store_consumer(self._pending)
            self._pending = None

    def _unmap(self) -> None:
        self._release_pending()
        self._ring.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.available} bytes waiting"
        record = "bytes" if self.codec is None else self.codec.name
        return f"<RingBufReader of {self.label}: {self._ring.size} bytes, records as {record}, {state}>"
