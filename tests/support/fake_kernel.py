"""A fake kernel for unit tests: one hash map in a dict, behind the commands a ``MapHandle`` calls.

``fake_map(kernel)`` opens a pybpfmaps map whose handle talks to ``kernel`` instead of ``bpf(2)``
(``handle.commands``), so the bulk operations, removal and the key walk run without root. The
fake follows the kernel's contract as docs/kernel-notes.md states it: element flags, E2BIG when
full, UPDATE_BATCH and DELETE_BATCH stopping at the first failure with ``count`` = the elements
before it (and ``count`` untouched when a call is refused up front), LOOKUP_BATCH copying whole
buckets (ENOSPC with ``count`` 0 when the next bucket does not fit an empty buffer; the end is
ENOENT with the last elements). ``Fault`` makes a command fail where a test says; ``during``
runs a test's code inside a command (to send a Ctrl-C mid-syscall, say). The real kernel stays
the oracle: tests/kernel checks the same contract there.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from pybpfmaps import MapFlags, MapInfo, MapType, features, u32, u64
from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.codecs.base import Codec
from pybpfmaps.maps._handle import ChunkPolicy
from pybpfmaps.maps.core import MapCore

M = TypeVar("M", bound=MapCore)
ENOTSUPP = 524

_COMMANDS = {
    "map_lookup_elem": uapi.BPF_MAP_LOOKUP_ELEM,
    "map_update_elem": uapi.BPF_MAP_UPDATE_ELEM,
    "map_delete_elem": uapi.BPF_MAP_DELETE_ELEM,
    "map_get_next_key": uapi.BPF_MAP_GET_NEXT_KEY,
    "map_lookup_and_delete_elem": uapi.BPF_MAP_LOOKUP_AND_DELETE_ELEM,
    "map_lookup_batch": uapi.BPF_MAP_LOOKUP_BATCH,
    "map_lookup_and_delete_batch": uapi.BPF_MAP_LOOKUP_AND_DELETE_BATCH,
    "map_update_batch": uapi.BPF_MAP_UPDATE_BATCH,
    "map_delete_batch": uapi.BPF_MAP_DELETE_BATCH,
}


@attrs.define
class Fault:
    """Command *command* fails with *errno* on its *call*-th call (1-based), *times* times in a row.

    For UPDATE_BATCH and DELETE_BATCH, *after* elements take effect first and ``count`` says so;
    ``after=None`` refuses the call up front (``count`` stays the requested number).
    """

    command: str
    errno: int
    call: int = 1
    times: int = 1
    after: int | None = None


def _error(err: int, command: str, count: int | None = None) -> RawBpfError:
    exc = RawBpfError(err, _COMMANDS[command])
    exc.count = count
    return exc


class FakeKernel:
    """One hash map: keys in insertion order, in ``buckets`` buckets (a key's bucket: its first byte)."""

    BatchBuffers = commands.BatchBuffers
    batch_applied = staticmethod(commands.batch_applied)

    def __init__(self, key_size: int = 4, value_size: int = 8, max_entries: int = 64, *, buckets: int = 8) -> None:
        self.key_size, self.value_size, self.max_entries = key_size, value_size, max_entries
        self.buckets = buckets
        self.store: dict[bytes, bytes] = {}
        self.batch = True  # False: the batch commands answer 524, as for a map type without them
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        self.during: Callable[[str], None] | None = None
        self.capacities: list[int] = []  # the buffer capacity of each LOOKUP(_AND_DELETE)_BATCH call

    # -- what a test sets up and reads --------------------------------------------------------

    def count(self, command: str) -> int:
        return self.calls.count(command)

    def _enter(self, command: str) -> Fault | None:
        """Record a call; the fault it must fail with, if any."""
        self.calls.append(command)
        if self.during is not None:
            self.during(command)
        number = self.count(command)
        for fault in self.faults:
            if fault.command == command and fault.call <= number < fault.call + fault.times:
                return fault
        return None

    def _bucket(self, key: bytes) -> int:
        return key[0] % self.buckets

    def _write(self, key: bytes, value: bytes, flags: int, command: str) -> None:
        if flags & ~int(uapi.BPF_F_LOCK) not in (0, 1, 2):
            raise _error(errno.EINVAL, command)
        present = key in self.store
        if flags & 3 == 1 and present:
            raise _error(errno.EEXIST, command)
        if flags & 3 == 2 and not present:
            raise _error(errno.ENOENT, command)
        if not present and len(self.store) >= self.max_entries:
            raise _error(errno.E2BIG, command)
        self.store[key] = value

    # -- the commands -------------------------------------------------------------------------

    def map_lookup_elem(self, fd: int, key: bytes, value_size: int, flags: int = 0) -> bytes:
        fault = self._enter("map_lookup_elem")
        if fault is not None:
            raise _error(fault.errno, "map_lookup_elem")
        if key not in self.store:
            raise _error(errno.ENOENT, "map_lookup_elem")
        return self.store[key]

    def map_lookup_elems(self, fd: int, keys: bytes, key_size: int, value_size: int) -> tuple[bytes, list[int]]:
        """As the real command: one lookup per key (each a call faults can target)."""
        values, absent = [], []
        for index in range(len(keys) // key_size):
            try:
                values.append(self.map_lookup_elem(fd, keys[index * key_size : (index + 1) * key_size], value_size))
            except RawBpfError as exc:
                if exc.errno != errno.ENOENT:
                    exc.count = index
                    raise
                values.append(bytes(value_size))
                absent.append(index)
        return b"".join(values), absent

    def map_update_elem(self, fd: int, key: bytes, value: bytes, flags: int) -> None:
        fault = self._enter("map_update_elem")
        if fault is not None:
            raise _error(fault.errno, "map_update_elem")
        self._write(bytes(key), bytes(value), flags, "map_update_elem")

    def map_delete_elem(self, fd: int, key: bytes) -> None:
        fault = self._enter("map_delete_elem")
        if fault is not None:
            raise _error(fault.errno, "map_delete_elem")
        if self.store.pop(bytes(key), None) is None:
            raise _error(errno.ENOENT, "map_delete_elem")

    def map_lookup_and_delete_elem(self, fd: int, key: bytes, value_size: int, flags: int = 0) -> bytes:
        fault = self._enter("map_lookup_and_delete_elem")
        if fault is not None:
            raise _error(fault.errno, "map_lookup_and_delete_elem")
        if key not in self.store:
            raise _error(errno.ENOENT, "map_lookup_and_delete_elem")
        return self.store.pop(key)

    def map_get_next_key(self, fd: int, key: bytes | None, key_size: int) -> bytes | None:
        fault = self._enter("map_get_next_key")
        if fault is not None:
            raise _error(fault.errno, "map_get_next_key")
        keys = list(self.store)
        if key is None or key not in self.store:  # as the kernel: a missing key restarts the walk
            return keys[0] if keys else None
        index = keys.index(key) + 1
        return keys[index] if index < len(keys) else None

    def map_batch_probe(self, fd: int, cmd: int) -> None:
        if not self.batch:
            raise RawBpfError(ENOTSUPP, cmd)

    def map_update_batch(
        self, fd: int, keys: bytes, values: bytes, count: int, elem_flags: int, *, key_offset: int = 0,
        value_offset: int = 0,
    ) -> int:  # fmt: skip
        fault = self._enter("map_update_batch")
        if not self.batch:
            raise _error(ENOTSUPP, "map_update_batch", count)
        if elem_flags & ~int(uapi.BPF_F_LOCK):
            raise _error(errno.EINVAL, "map_update_batch", count)  # refused up front: count untouched
        if fault is not None and fault.after is None:
            raise _error(fault.errno, "map_update_batch", count)
        ks, vs = self.key_size, self.value_size
        for i in range(count):
            if fault is not None and i == fault.after:
                raise _error(fault.errno, "map_update_batch", i)
            key = bytes(keys[key_offset + i * ks : key_offset + (i + 1) * ks])
            value = bytes(values[value_offset + i * vs : value_offset + (i + 1) * vs])
            try:
                self._write(key, value, 0, "map_update_batch")
            except RawBpfError as exc:
                exc.count = i
                raise
        return count

    def map_delete_batch(self, fd: int, keys: bytes, count: int, *, key_offset: int = 0) -> int:
        fault = self._enter("map_delete_batch")
        if not self.batch:
            raise _error(ENOTSUPP, "map_delete_batch", count)
        if fault is not None and fault.after is None:
            raise _error(fault.errno, "map_delete_batch", count)
        ks = self.key_size
        for i in range(count):
            if fault is not None and i == fault.after:
                raise _error(fault.errno, "map_delete_batch", i)
            key = bytes(keys[key_offset + i * ks : key_offset + (i + 1) * ks])
            if self.store.pop(key, None) is None:
                raise _error(errno.ENOENT, "map_delete_batch", i)
        return count

    def map_lookup_batch(
        self, fd: int, buffers: commands.BatchBuffers, resume: bool, delete: bool = False, elem_flags: int = 0
    ) -> tuple[int, bool]:
        name = "map_lookup_and_delete_batch" if delete else "map_lookup_batch"
        fault = self._enter(name)
        self.capacities.append(buffers.capacity)
        if not self.batch:
            raise _error(ENOTSUPP, name, buffers.capacity)
        if fault is not None:
            raise _error(fault.errno, name, 0)
        bucket = int.from_bytes(buffers.cursor.raw[:4], "little") if resume else 0
        count = 0
        ks, vs = self.key_size, self.value_size
        keys, values = memoryview(buffers.keys).cast("B"), memoryview(buffers.values).cast("B")
        while bucket < self.buckets:
            members = [key for key in self.store if self._bucket(key) == bucket]
            if count + len(members) > buffers.capacity:
                if not count:
                    raise _error(errno.ENOSPC, name, 0)
                break
            for key in members:
                keys[count * ks : (count + 1) * ks] = key
                values[count * vs : (count + 1) * vs] = self.store[key]
                if delete:
                    del self.store[key]
                count += 1
            bucket += 1
        buffers.cursor.raw = bucket.to_bytes(4, "little") + buffers.cursor.raw[4:]
        return count, bucket >= self.buckets


def fake_map(
    kernel: FakeKernel, cls: type[M] | None = None, *, key: Codec[Any] = u32, value: Codec[Any] = u64,
    map_type: MapType = MapType.HASH, chunks: ChunkPolicy | None = None,
) -> M:  # fmt: skip
    """A map of *cls* (``HashMap`` by default) whose syscalls go to *kernel*; close it when done."""
    from pybpfmaps import HashMap

    chosen: Any = cls or HashMap
    info = MapInfo(
        id=0, type=map_type, name="fake", key_size=kernel.key_size, value_size=kernel.value_size,
        max_entries=kernel.max_entries, flags=MapFlags.NONE,
    )  # fmt: skip
    made: M = chosen(Fd(os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC), "fake map"), info, key, value)
    made._handle.commands = kernel
    if chunks is not None:
        made._handle.chunks = chunks
    return made


@contextmanager
def fresh_features() -> Iterator[None]:
    """What the fake kernel answers to probes is forgotten afterwards (the cache is per map type)."""
    features.forget()
    try:
        yield
    finally:
        features.forget()
