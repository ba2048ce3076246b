"""``UserRingBufWriter``: records written into a ``BPF_MAP_TYPE_USER_RINGBUF`` for programs to drain.

The memory layout is ``ring_layout``'s, turned around: the consumer position (the program's,
advanced by ``bpf_user_ringbuf_drain``) is read-only here; the producer position and the data are
writable. Writing a record is libbpf's
``user_ring_buffer__reserve`` + ``__submit``: write its header with the busy bit, advance the
producer position, fill it, then clear the busy bit. See docs/kernel-notes.md#user-ring-buffers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from pybpfmaps._sys.ordering import fence
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError, ClosedMapError, CodecError, CodecTypeError, MapFullError
from pybpfmaps.streams.ring_layout import BUSY_BIT, DISCARD_BIT, HEADER_SIZE, RingMapping


class UserRingBufWriter:
    """Writes records of *codec* (or ``bytes``) into one user ring buffer. Thread-safe."""

    def __init__(self, fd: int, size: int, codec: Codec[Any] | None, label: str) -> None:
        self.label = label
        self.codec = codec
        self._ring = RingMapping(fd, size, consumer=False)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def free(self) -> int:
        """Bytes a record may still take, headers included."""
        return self._ring.size - self._ring.used()

    def _encode(self, record: Any) -> bytes:
        if self.codec is None:
            if not isinstance(record, bytes | bytearray | memoryview):
                raise CodecTypeError(f"{self.label} takes bytes records (no record type), not {type(record).__name__}")
            data = bytes(record)
        else:
            try:
                data = self.codec.pack(record)
            except CodecError as exc:
                raise type(exc)(f"bad record for {self.label}: {exc}") from None
        if not data:
            raise BpfArgumentError(f"a record of {self.label} holds at least one byte")
        return data

    def write(self, record: Any) -> None:
        """Write one record; ``MapFullError`` if the buffer has no room for it (nothing is written then)."""
        data = self._encode(record)
        with self.reserve(len(data)) as space:
            space[:] = data

    def write_many(self, records: Iterable[Any]) -> int:
        """Write records in order until one does not fit; how many were written.

        Every record is encoded before the first is written: a bad one writes nothing.
        """
        encoded = [self._encode(record) for record in records]
        written = 0
        for data in encoded:
            try:
                with self.reserve(len(data)) as space:
                    space[:] = data
            except MapFullError:
                break
            written += 1
        return written

    @contextlib.contextmanager
    def reserve(self, size: int) -> Iterator[memoryview]:
        """Space for one record of *size* bytes, as a writable ``memoryview``: submitted to the program
        when the ``with`` block ends, discarded if it raises. ``MapFullError`` when there is no room."""
        if not isinstance(size, int) or not 0 < size <= self._ring.size - HEADER_SIZE:
            raise BpfArgumentError(
                f"a record of {self.label} is 1 to {self._ring.size - HEADER_SIZE} bytes, got {size!r}"
            )
        total = size + HEADER_SIZE + 7 & ~7
        with self._lock:
            if self._closed:
                raise ClosedMapError(f"{self.label} is closed")
            producer = self._ring.producer[0]
            consumer = self._ring.consumer[0]
            fence()  # acquire: the program is done with the space before it is reused
            if producer - consumer + total > self._ring.size:
                raise MapFullError(None, f"no room for a record of {size} bytes ({self.free} bytes free)",
                                   command="reserve", map_label=self.label)  # fmt: skip
            offset = producer & self._ring.mask
            self._ring.headers[(offset >> 2) + 1] = 0  # the page offset, which the kernel does not read here
            self._ring.headers[offset >> 2] = size | BUSY_BIT
            fence()  # release: the busy header is there before the program can see the record
            self._ring.producer[0] = producer + total
            space = self._ring.data[offset + HEADER_SIZE : offset + HEADER_SIZE + size]
        try:
            yield space
        except BaseException:
            self._finish(offset, size | DISCARD_BIT)
            raise
        finally:
            space.release()
        self._finish(offset, size)

    def _finish(self, offset: int, header: int) -> None:
        fence()  # release: the record's bytes are there before its header says it is done
        self._ring.headers[offset >> 2] = header

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Unmap the buffer; records written stay for the program to drain."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._ring.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.free} bytes free"
        record = "bytes" if self.codec is None else self.codec.name
        return f"<UserRingBufWriter of {self.label}: {self._ring.size} bytes, records as {record}, {state}>"
