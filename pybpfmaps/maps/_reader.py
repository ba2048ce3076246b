"""Batch reads: a map's elements a chunk at a time, by BPF_MAP_LOOKUP_BATCH or LOOKUP_AND_DELETE_BATCH.

The buffers are always full-size with a valid cursor, because the kernel deletes before it copies
out (a short buffer loses data, docs/kernel-notes.md#batch-reads). ENOSPC (the next hash bucket does not fit)
grows the buffer and asks again from the same place; ENOENT (the end) comes with the last
elements, which are always handed out.

A long plain read overlaps the kernel's work with Python's: while the caller decodes one chunk,
a helper thread already reads the next into a second buffer (ctypes releases the GIL during the
syscall). Deleting reads never run ahead, so that nothing is removed before the caller takes it.
"""

from __future__ import annotations

import errno
import os
import queue
import threading
from collections.abc import Iterator

from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.maps._handle import MapHandle

Chunk = tuple[memoryview, memoryview, int]
"""Packed keys, packed values and their count; views into a buffer the next chunk may reuse."""


def read_batches(h: MapHandle, delete: bool = False, lock: bool = False) -> Iterator[Chunk]:
    """The map's elements, a chunk at a time (``h.chunks.read``, or more when a hash bucket needs it).

    One pass over the map: each element at most once, every element present throughout
    included. With *delete*, each chunk is removed as it is read; with *lock*, each value is
    copied under its spin lock (BPF_F_LOCK). Decode a chunk before asking for the next.
    """
    reader = _Reader(h, delete, uapi.BPF_F_LOCK if lock else 0)
    capacity = h.chunks.read(reader.key_size, reader.value_size, reader.limit)
    if delete or capacity >= reader.limit:
        return reader.serial(capacity)
    return reader.prefetched(capacity)


class _Reader:
    __slots__ = ("delete", "elem_flags", "handle", "key_size", "limit", "value_size")

    def __init__(self, h: MapHandle, delete: bool, elem_flags: int) -> None:
        self.handle = h
        h.live_fd()
        self.key_size, self.value_size = h.info.key_size, h.value_size
        self.limit = h.info.max_entries
        self.delete = delete
        self.elem_flags = elem_flags

    def buffers(self, capacity: int) -> commands.BatchBuffers:
        return commands.BatchBuffers(self.key_size, self.value_size, capacity)

    def step(self, buffers: commands.BatchBuffers, resume: bool) -> tuple[commands.BatchBuffers, int, bool]:
        """One batch call, growing *buffers* on ENOSPC; returns the buffers used, the count and the end."""
        while True:
            try:
                count, at_end = self.handle.call(
                    self.handle.commands.map_lookup_batch, buffers, resume, self.delete, self.elem_flags
                )
            except RawBpfError as exc:
                if exc.errno != errno.ENOSPC or buffers.capacity >= self.limit:
                    raise
                grown = self.buffers(min(self.limit, 2 * buffers.capacity))
                grown.cursor.raw = buffers.cursor.raw
                buffers = grown
                continue
            return buffers, count, at_end

    def views(self, buffers: commands.BatchBuffers, count: int) -> Chunk:
        keys, values = memoryview(buffers.keys).cast("B"), memoryview(buffers.values).cast("B")
        return keys[: count * self.key_size], values[: count * self.value_size], count

    def serial(self, capacity: int) -> Iterator[Chunk]:
        return self.walk(self.buffers(capacity), False)

    def walk(self, buffers: commands.BatchBuffers, resume: bool) -> Iterator[Chunk]:
        """Chunks read in this thread, from the start or on from *buffers*' cursor."""
        while True:
            try:
                buffers, count, at_end = self.step(buffers, resume)
            except RawBpfError as exc:
                raise self.handle.error(exc, writing=self.delete) from None
            if count:
                yield self.views(buffers, count)
            if at_end:
                return
            resume = True

    def prefetched(self, capacity: int) -> Iterator[Chunk]:
        """As ``serial``, with the next chunk read by a helper thread while the caller decodes."""
        free: queue.SimpleQueue[commands.BatchBuffers | None] = queue.SimpleQueue()
        ready: queue.SimpleQueue[tuple[commands.BatchBuffers, int, bool] | BaseException] = queue.SimpleQueue()
        free.put(self.buffers(capacity))
        stop = threading.Event()

        def read_ahead() -> None:
            buffers: commands.BatchBuffers | None = self.buffers(capacity)
            resume = False
            try:
                while buffers is not None and not stop.is_set():
                    buffers, count, at_end = self.step(buffers, resume)
                    ready.put((buffers, count, at_end))
                    if at_end:
                        return
                    following = free.get()  # a buffer the caller has finished with
                    if following is not None:
                        following.cursor.raw = buffers.cursor.raw  # go on where this read ended
                    buffers, resume = following, True
            except BaseException as exc:  # handed to the caller, which raises it
                ready.put(exc)

        worker = threading.Thread(target=read_ahead, name="pybpfmaps-batch-read", daemon=True)
        worker.start()
        owner = os.getpid()
        try:
            while True:
                item = ready.get()
                if isinstance(item, RawBpfError):
                    raise self.handle.error(item) from None
                if isinstance(item, BaseException):
                    raise item
                buffers, count, at_end = item
                if count:
                    yield self.views(buffers, count)
                if at_end:
                    return
                if os.getpid() != owner:  # a forked child: the helper thread stayed in the parent
                    yield from self.walk(buffers, True)  # on from the chunk just consumed, in this thread
                    return
                free.put(buffers)
        finally:
            if os.getpid() == owner:  # in a forked child the queues may be frozen mid-operation: leave them
                stop.set()
                free.put(None)
                worker.join()
