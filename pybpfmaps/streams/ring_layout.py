"""``RingMapping``: a ring buffer's memory as the kernel maps it, for the reader of a ring buffer and the
writer of a user ring buffer alike.

Three parts: a page holding the consumer position, a page holding the producer position, then the
data pages mapped twice in a row, so a record that wraps around the end reads as one piece. The
side this process plays (consumer of a ring buffer, producer of a user ring buffer) is mapped
writable, the other read-only, as the kernel requires. Each record starts with an 8-byte header:
its length, with a busy bit (still being written) and a discard bit, and a page offset; records
are 8-byte aligned. See docs/kernel-notes.md#ring-buffers.
"""

from __future__ import annotations

import mmap

from pybpfmaps.streams.base import unmap

BUSY_BIT = 1 << 31
DISCARD_BIT = 1 << 30
HEADER_SIZE = 8
PAGE = mmap.PAGESIZE


class RingMapping:
    """The positions and data of one ring buffer of *size* bytes; this process writes the consumer
    position (*consumer*) or the producer position and the data (not *consumer*)."""

    def __init__(self, fd: int, size: int, *, consumer: bool) -> None:
        self.size = size
        self.mask = size - 1
        writable, read_only = mmap.ACCESS_WRITE, mmap.ACCESS_READ  # not prot=: read-only views stay read-only
        self._consumer_map = mmap.mmap(fd, PAGE, access=writable if consumer else read_only, offset=0)
        try:
            self._producer_map = mmap.mmap(fd, PAGE + 2 * size, access=read_only if consumer else writable, offset=PAGE)
        except BaseException:
            self._consumer_map.close()
            raise
        self.consumer = memoryview(self._consumer_map).cast("Q")
        """The consumer position: ``consumer[0]``."""
        producer = memoryview(self._producer_map)
        self.producer = producer[:8].cast("Q")
        """The producer position: ``producer[0]``."""
        self.data = producer[PAGE:]
        """The data, ``2 * size`` bytes: the ring, then the ring again."""
        self.headers = self.data.cast("I")
        """The data as 4-byte words: a header's length word is ``headers[offset >> 2]``, one aligned access."""

    def used(self) -> int:
        """Bytes the producer is ahead of the consumer (headers included)."""
        return int(self.producer[0] - self.consumer[0])

    def close(self) -> None:
        """Unmap; views of the data handed out keep it mapped until they are gone."""
        for view in (self.consumer, self.producer, self.headers, self.data):
            view.release()
        unmap(self._consumer_map, self._producer_map)
