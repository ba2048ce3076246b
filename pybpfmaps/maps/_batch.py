"""The bulk operations: one contract over the kernel's batch commands and the per-element path.

Every bulk write stops at the first failing element and reports how many elements took effect,
as the kernel's batch loop does, so a caller cannot tell which path ran (docs/kernel-notes.md:
#batch-support, #update-batch-partial, #batch-reads):

* ``update_many`` uses BPF_MAP_UPDATE_BATCH for ``ANY`` (and ``LOCK``), and single updates for
  ``NOEXIST``/``EXIST`` (no released kernel takes them in a batch) and where the map's batch
  support probe says no. A failed batch's count is trusted only below the requested count.
* ``delete_many`` uses BPF_MAP_DELETE_BATCH, resuming past missing keys when asked to.
* reads (``_reader``) use BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_BATCH.

Inputs are encoded before the first syscall: all of them for sized inputs (mappings, sequences),
chunk by chunk for iterators, so that memory stays bounded.
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from functools import partial
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import (
    BatchDeleteError,
    BatchError,
    BatchInterrupted,
    BatchUpdateError,
    BpfArgumentError,
    BpfError,
    ClosedMapError,
)
from pybpfmaps.flags import MapType, UpdateFlags
from pybpfmaps.maps import _pipeline, _reader, _shapes, _validate
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps._interrupts import Guard, deferred_interrupts
from pybpfmaps.maps._shapes import BadElement

_PER_ELEMENT_FLAGS = int(UpdateFlags.NOEXIST | UpdateFlags.EXIST)


class _Chunk:
    """Encoded keys (and values) of consecutive elements, with the Python keys for error reports."""

    __slots__ = ("keys", "packed_keys", "packed_values")

    def __init__(self, keys: Sequence[Any], packed_keys: bytes, packed_values: bytes) -> None:
        self.keys = keys
        self.packed_keys = packed_keys
        self.packed_values = packed_values


# -- writes ---------------------------------------------------------------------------------------


def update_many(
    h: MapHandle,
    items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | Sequence[Any],
    values: Sequence[Any] | None,
    flags: UpdateFlags | int,
) -> int:
    """Write many elements; see ``BpfMap.update_many``. A Ctrl-C anywhere in it is a ``BatchInterrupted``."""
    return _interruptible("update_many", h, partial(_update_many, h, items, values, flags))


def _interruptible(operation: str, h: MapHandle, run: Callable[[list[int], Guard], int]) -> int:
    """``run(progress, guard)`` with Ctrl-C deferred to where it is safe and reported as a ``BatchInterrupted``
    saying how many elements took effect (``progress[0]``, exact whenever one can be raised)."""
    progress = [0]
    try:
        with deferred_interrupts() as guard:  # first: the setup's syscalls hold the fd too
            return run(progress, guard)
    except KeyboardInterrupt as exc:
        if isinstance(exc, BatchInterrupted):
            raise
        raise BatchInterrupted(operation, h.label, progress[0]) from exc


@contextmanager
def _accounted(operation: str, h: MapHandle, error: type[BatchError], progress: list[int]) -> Iterator[None]:
    """Failures inside the block as *error*, saying how many elements took effect: an element that
    could not be encoded, or an exception from the caller's iterator or generator."""
    try:
        yield
    except BadElement as bad:
        raise error(operation, h.label, progress[0], bad.key, bad.cause) from bad.cause
    except (BatchError, BpfArgumentError, KeyboardInterrupt):
        raise
    except Exception as exc:  # from the caller's iterator or generator: say what was written before it
        raise error(operation, h.label, progress[0], None, exc, input_failed=True) from exc


def _update_many(
    h: MapHandle,
    items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | Sequence[Any],
    values: Sequence[Any] | None,
    flags: UpdateFlags | int,
    progress: list[int],
    guard: Guard,
) -> int:
    bits = _validate.update_flags(flags)
    if bits & UpdateFlags.LOCK:
        h.check_lock("UpdateFlags.LOCK")
    batch = not bits & _PER_ELEMENT_FLAGS and h.batch_works("update")
    length = h.chunks.write(h.info.key_size, h.value_size)
    columns, sized = _shapes.columns(items, values, length)
    with _accounted("update_many", h, BatchUpdateError, progress):
        chunks = _chunks(h, columns, sized, guard)
        if batch and not sized:
            _write_streamed(h, chunks, bits, length, progress, guard)
            return progress[0]
        for chunk in chunks:
            _write_chunk(h, chunk, bits, batch, progress)
            guard.check()
    return progress[0]


def _write_chunk(h: MapHandle, chunk: _Chunk, bits: int, batch: bool, progress: list[int]) -> None:
    """Write one chunk in this thread, with the fd held for it (``close()`` waits), and account for it."""
    fd = _acquire(h, "update_many", progress[0], chunk)
    try:
        outcome = _write(h, fd, chunk, bits, batch)
    finally:
        h.release()
    _account(h, chunk, outcome, progress)


def _account(h: MapHandle, chunk: _Chunk, outcome: _pipeline.Outcome, progress: list[int]) -> None:
    """Add a written chunk's count to the total; raise its failure as the operation's."""
    done, failure = outcome
    progress[0] += done
    if failure is not None:
        key = chunk.keys[done]
        cause = h.error(failure, key, writing=True)
        raise BatchUpdateError("update_many", h.label, progress[0], key, cause) from cause


def _write_streamed(
    h: MapHandle, chunks: Iterator[_Chunk], bits: int, length: int, progress: list[int], guard: Guard
) -> None:
    """Streamed input in batches, each full chunk written by a helper thread while the next one is
    pulled and encoded here (``_pipeline``); a failure is reported in element order: a write's
    before the next chunk's encoding's."""
    flight: tuple[_pipeline.InFlight, _Chunk] | None = None
    while True:
        try:
            chunk = next(chunks, None)
        except BaseException:
            if flight is not None:
                _land(h, *flight, progress)
            raise
        if flight is not None:
            _land(h, *flight, progress)
            flight = None
        if chunk is None:
            return
        guard.check()
        if len(chunk.keys) < length:  # the last chunk: nothing left to overlap with it
            _write_chunk(h, chunk, bits, True, progress)
            continue
        fd = _acquire(h, "update_many", progress[0], chunk)
        try:
            flight = _pipeline.InFlight(partial(_write, h, fd, chunk, bits, True)), chunk
        except BaseException:
            h.release()
            raise


def _land(h: MapHandle, flight: _pipeline.InFlight, chunk: _Chunk, progress: list[int]) -> None:
    """Wait for a chunk's write, give the fd back and account for it (a Ctrl-C that came meanwhile last)."""
    try:
        outcome, interrupted = flight.outcome()
    finally:
        h.release()
    _account(h, chunk, outcome, progress)
    if interrupted:
        raise KeyboardInterrupt


def _acquire(h: MapHandle, operation: str, applied: int, chunk: _Chunk, start: int = 0) -> int:
    """The map's fd for the next chunk; a map closed meanwhile (by another thread) stops the operation
    there, reported at the chunk's first key, not as a failure of the caller's input."""
    try:
        return h.acquire()
    except ClosedMapError as closed:
        error = BatchUpdateError if operation == "update_many" else BatchDeleteError
        raise error(operation, h.label, applied, chunk.keys[start], closed) from closed


def _write(h: MapHandle, fd: int, chunk: _Chunk, bits: int, batch: bool) -> tuple[int, RawBpfError | None]:
    """Write one chunk; returns how many elements took effect and the failure that stopped it."""
    count = len(chunk.keys)
    if batch:
        try:
            h.commands.map_update_batch(fd, chunk.packed_keys, chunk.packed_values, count, bits)
        except RawBpfError as exc:
            return commands.batch_applied(count, exc.count or 0), exc
        return count, None
    key_size, value_size = h.info.key_size, h.value_size
    keys, values = chunk.packed_keys, chunk.packed_values
    for i in range(count):
        try:
            h.commands.map_update_elem(
                fd, keys[i * key_size : (i + 1) * key_size], values[i * value_size : (i + 1) * value_size], bits
            )
        except RawBpfError as exc:
            return i, exc
    return count, None


def delete_many(h: MapHandle, keys: Iterable[Any], missing_ok: bool) -> int:
    """Delete many keys; see ``HashMap.delete_many``. A Ctrl-C anywhere in it is a ``BatchInterrupted``."""
    return _interruptible("delete_many", h, partial(_delete_many, h, keys, missing_ok))


def _delete_many(h: MapHandle, keys: Iterable[Any], missing_ok: bool, progress: list[int], guard: Guard) -> int:
    batch = h.batch_works("delete")
    with _accounted("delete_many", h, BatchDeleteError, progress):
        for chunk in _key_chunks(h, keys, guard):
            start, count = 0, len(chunk.keys)
            while start < count:
                fd = _acquire(h, "delete_many", progress[0], chunk, start)
                try:
                    done, failure = _delete(h, fd, chunk, start, batch)
                finally:
                    h.release()
                progress[0] += done
                if failure is None:
                    break
                failed = start + done
                if failure.errno == errno.ENOENT and missing_ok:
                    start = failed + 1
                    continue
                key = chunk.keys[failed]
                cause = h.error(failure, key, writing=True)
                raise BatchDeleteError("delete_many", h.label, progress[0], key, cause) from cause
            guard.check()
    return progress[0]


def _delete(h: MapHandle, fd: int, chunk: _Chunk, start: int, batch: bool) -> tuple[int, RawBpfError | None]:
    """Delete the chunk's keys from *start* on; returns how many went and the failure that stopped it."""
    key_size = h.info.key_size
    count = len(chunk.keys) - start
    if batch:
        try:
            h.commands.map_delete_batch(fd, chunk.packed_keys, count, key_offset=start * key_size)
        except RawBpfError as exc:
            return commands.batch_applied(count, exc.count or 0), exc
        return count, None
    packed = chunk.packed_keys
    for i in range(start, start + count):
        try:
            h.commands.map_delete_elem(fd, packed[i * key_size : (i + 1) * key_size])
        except RawBpfError as exc:
            return i - start, exc
    return count, None


READ_WHOLE_TYPES = frozenset(
    {MapType.HASH, MapType.LRU_HASH, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.ARRAY, MapType.PERCPU_ARRAY}
)
"""Map types whose lookup by key is an exact match, so that reading the whole map answers it too."""


def lookup_many(h: MapHandle, keys: Iterable[Any], default: Any) -> list[Any]:
    """Look many keys up; see ``BpfMap.lookup_many``.

    Where the keys are many for the map (a quarter of its capacity or more) and the map is read in
    batches, one read of the whole map answers them: a batch read costs the kernel about what one
    lookup does, and saves Python a call per key. Otherwise one BPF_MAP_LOOKUP_ELEM per key, a chunk
    of them per call of ``map_lookup_elems`` (one attr struct, one buffer), the values decoded
    together. Either way each value is one the key had during the call.
    """
    try:
        chunks = list(_key_chunks(h, keys)) if isinstance(keys, Sized) else _key_chunks(h, keys)
        if (
            isinstance(chunks, list)
            and 4 * sum(len(chunk.keys) for chunk in chunks) >= h.info.max_entries
            and h.info.type in READ_WHOLE_TYPES
            and h.batch_works("lookup")
        ):
            return _looked_up_in_one_read(h, chunks, default)
        return _looked_up_one_by_one(h, chunks, default)
    except BadElement as bad:
        raise bad.cause from None


def _looked_up_in_one_read(h: MapHandle, chunks: list[_Chunk], default: Any) -> list[Any]:
    key_size = h.info.key_size
    unpack_many = h.value.unpack_many
    held: dict[bytes, Any] = {}
    for packed_keys, packed_values, count in _reader.read_batches(h):
        raw = bytes(packed_keys)
        held.update(zip(_split_keys(raw, key_size), unpack_many(packed_values, count), strict=True))
    found: list[Any] = []
    for chunk in chunks:
        wanted = _split_keys(chunk.packed_keys, key_size)
        found += map(held.get, wanted, itertools.repeat(default, len(wanted)))
    return found


def _split_keys(packed: bytes, key_size: int) -> list[bytes]:
    return [packed[i : i + key_size] for i in range(0, len(packed), key_size)]


def _looked_up_one_by_one(h: MapHandle, chunks: Iterable[_Chunk], default: Any) -> list[Any]:
    key_size, value_size = h.info.key_size, h.value_size
    unpack_many = h.value.unpack_many
    found: list[Any] = []
    for chunk in chunks:
        try:
            data, absent = h.call(h.commands.map_lookup_elems, chunk.packed_keys, key_size, value_size)
        except RawBpfError as exc:
            raise h.error(exc, chunk.keys[exc.count or 0]) from None
        count = len(chunk.keys)
        if not absent:
            found += unpack_many(data, count)
            continue
        missing = set(absent)
        present = [i for i in range(count) if i not in missing]  # only values the kernel gave are decoded
        decoded = iter(
            unpack_many(b"".join(data[i * value_size : (i + 1) * value_size] for i in present), len(present))
        )
        found += [default if i in missing else next(decoded) for i in range(count)]
    return found


# -- encoding -------------------------------------------------------------------------------------


def _chunks(
    h: MapHandle,
    columns: Iterator[tuple[Sequence[Any], Sequence[Any] | None]],
    sized: bool,
    guard: Guard | None = None,
) -> Iterator[_Chunk]:
    """Encoded chunks; a sized input is encoded whole before the first is yielded (a Ctrl-C recorded
    meanwhile is raised between chunks: nothing has been written)."""
    encoded = (_encode(h, keys, values) for keys, values in columns)
    if not sized:
        yield from encoded
        return
    chunks = []
    for chunk in encoded:
        chunks.append(chunk)
        if guard is not None:
            guard.check()
    yield from chunks


def _key_chunks(h: MapHandle, keys: Iterable[Any], guard: Guard | None = None) -> Iterator[_Chunk]:
    """Encoded chunks of keys alone (for deletes and lookups)."""
    chunks, sized = _shapes.key_chunks(keys, h.chunks.write(h.info.key_size, 0))
    return _chunks(h, ((chunk, None) for chunk in chunks), sized, guard)


def _encode(h: MapHandle, keys: Sequence[Any], values: Sequence[Any] | None) -> _Chunk:
    packed_keys = _pack(keys, keys, h.pack_keys, h.pack_key)
    if values is None:
        return _Chunk(keys, packed_keys, b"")
    return _Chunk(keys, packed_keys, _pack(values, keys, h.value.pack_many, h.pack_value))


def _pack(
    items: Sequence[Any], keys: Sequence[Any], pack_many: Callable[[Any], bytes], pack_one: Callable[[Any], bytes]
) -> bytes:
    """``pack_many(items)``; if that fails, the key of the first item ``pack_one`` refuses, with its error."""
    try:
        return pack_many(items)
    except BpfArgumentError:
        for key, item in zip(keys, items, strict=True):
            try:
                pack_one(item)
            except BpfError as exc:
                raise BadElement(key, exc) from None
        raise


# -- reads ----------------------------------------------------------------------------------------
