"""The bulk operations: one contract over the kernel's batch commands and the per-element path.

Every bulk write stops at the first failing element and reports how many elements took effect,
as the kernel's batch loop does, so a caller cannot tell which path ran (KERNEL.md sections 2-4):

* ``update_many`` uses BPF_MAP_UPDATE_BATCH for ``ANY`` (and ``LOCK``), and single updates for
  ``NOEXIST``/``EXIST`` (no released kernel takes them in a batch) and where the map's batch
  support probe says no. A failed batch's count is trusted only below the requested count.
* ``delete_many`` uses BPF_MAP_DELETE_BATCH, resuming past missing keys when asked to.
* reads use BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_BATCH, growing the buffers on
  ENOSPC and consuming the count that comes with ENOENT; the buffers are always full-size with a
  valid cursor, because the kernel deletes before it copies out.

Inputs are encoded before the first syscall: all of them for sized inputs (mappings, sequences),
chunk by chunk for iterators, so that memory stays bounded.
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pybpfmaps import features
from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import BatchDeleteError, BatchUpdateError, BpfArgumentError, BpfError
from pybpfmaps.flags import UpdateFlags
from pybpfmaps.maps import _validate

if TYPE_CHECKING:
    from pybpfmaps.maps.base import BpfMap

CHUNK_BYTES = 4 << 20
"""Bulk operations work in chunks of about this many bytes of keys and values."""
MAX_CHUNK = 1 << 16
"""... and of at most this many elements."""

_PER_ELEMENT_FLAGS = int(UpdateFlags.NOEXIST | UpdateFlags.EXIST)


def chunk_length(key_size: int, value_size: int) -> int:
    """How many elements one batch call handles."""
    return max(1, min(MAX_CHUNK, CHUNK_BYTES // (key_size + value_size)))


class _Chunk:
    """Encoded keys (and values) of consecutive elements, with the Python keys for error reports."""

    __slots__ = ("keys", "packed_keys", "packed_values")

    def __init__(self, keys: list[Any], packed_keys: bytes, packed_values: bytes) -> None:
        self.keys = keys
        self.packed_keys = packed_keys
        self.packed_values = packed_values


class _EncodeFailure(Exception):
    """An element that could not be encoded: its key and the codec's error."""

    def __init__(self, key: object, cause: BpfError) -> None:
        super().__init__(key, cause)
        self.key = key
        self.cause = cause


# -- writes ---------------------------------------------------------------------------------------


def update_many(
    m: BpfMap[Any, Any],
    items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | Sequence[Any],
    values: Sequence[Any] | None,
    flags: UpdateFlags | int,
) -> int:
    """Write many elements; see ``BpfMap.update_many``."""
    bits = _validate.update_flags(flags)
    fd = m._live_fd()
    pairs, sized = _pairs(items, values)
    length = chunk_length(m._info.key_size, m._info.value_size)
    batch = not bits & _PER_ELEMENT_FLAGS and m._batch_works("update")
    applied = 0
    try:
        for chunk in _chunks(m, pairs, length, sized):
            done, failure = _write(m, fd, chunk, bits, batch)
            applied += done
            if failure is not None:
                key = chunk.keys[done]
                cause = m._error(failure, key, writing=True)
                raise BatchUpdateError("update_many", m._label, applied, key, cause) from cause
    except _EncodeFailure as bad:
        raise BatchUpdateError("update_many", m._label, applied, bad.key, bad.cause) from bad.cause
    return applied


def _write(m: BpfMap[Any, Any], fd: int, chunk: _Chunk, bits: int, batch: bool) -> tuple[int, RawBpfError | None]:
    """Write one chunk; returns how many elements took effect and the failure that stopped it."""
    count = len(chunk.keys)
    if batch:
        try:
            commands.map_update_batch(fd, chunk.packed_keys, chunk.packed_values, count, bits)
        except RawBpfError as exc:
            return commands.batch_applied(count, exc.count or 0), exc
        return count, None
    key_size, value_size = m._info.key_size, m._info.value_size
    keys, values = chunk.packed_keys, chunk.packed_values
    for i in range(count):
        try:
            commands.map_update_elem(
                fd, keys[i * key_size : (i + 1) * key_size], values[i * value_size : (i + 1) * value_size], bits
            )
        except RawBpfError as exc:
            return i, exc
    return count, None


def delete_many(m: BpfMap[Any, Any], keys: Iterable[Any], missing_ok: bool) -> int:
    """Delete many keys; see ``HashMap.delete_many``."""
    fd = m._live_fd()
    batch = m._batch_works("delete")
    deleted = 0
    try:
        for chunk in _key_chunks(m, keys):
            start, count = 0, len(chunk.keys)
            while start < count:
                done, failure = _delete(m, fd, chunk, start, batch)
                deleted += done
                if failure is None:
                    break
                failed = start + done
                if failure.errno == errno.ENOENT and missing_ok:
                    start = failed + 1
                    continue
                key = chunk.keys[failed]
                cause = m._error(failure, key, writing=True)
                raise BatchDeleteError("delete_many", m._label, deleted, key, cause) from cause
    except _EncodeFailure as bad:
        raise BatchDeleteError("delete_many", m._label, deleted, bad.key, bad.cause) from bad.cause
    return deleted


def _delete(m: BpfMap[Any, Any], fd: int, chunk: _Chunk, start: int, batch: bool) -> tuple[int, RawBpfError | None]:
    """Delete the chunk's keys from *start* on; returns how many went and the failure that stopped it."""
    key_size = m._info.key_size
    count = len(chunk.keys) - start
    if batch:
        try:
            commands.map_delete_batch(fd, chunk.packed_keys, count, key_offset=start * key_size)
        except RawBpfError as exc:
            return commands.batch_applied(count, exc.count or 0), exc
        return count, None
    packed = chunk.packed_keys
    for i in range(start, start + count):
        try:
            commands.map_delete_elem(fd, packed[i * key_size : (i + 1) * key_size])
        except RawBpfError as exc:
            return i - start, exc
    return count, None


def lookup_many(m: BpfMap[Any, Any], keys: Iterable[Any], default: Any) -> list[Any]:
    """Look many keys up; see ``BpfMap.lookup_many``."""
    fd = m._live_fd()
    key_size, value_size = m._info.key_size, m._info.value_size
    unpack = m._value.unpack
    found: list[Any] = []
    try:
        for chunk in _key_chunks(m, keys):
            packed = chunk.packed_keys
            for i, key in enumerate(chunk.keys):
                try:
                    data = commands.map_lookup_elem(fd, packed[i * key_size : (i + 1) * key_size], value_size)
                except RawBpfError as exc:
                    if exc.errno != errno.ENOENT:
                        raise m._error(exc, key) from None
                    found.append(default)
                else:
                    found.append(unpack(data))
    except _EncodeFailure as bad:
        raise bad.cause from None
    return found


# -- encoding -------------------------------------------------------------------------------------


def _pairs(
    items: Mapping[Any, Any] | Iterable[Any], values: Sequence[Any] | None
) -> tuple[Iterable[tuple[Any, Any]], bool]:
    """The (key, value) pairs of update_many's input, and whether it is sized (encodable up front)."""
    if values is not None:
        if not isinstance(items, Sequence) or not isinstance(values, Sequence):
            raise BpfArgumentError("update_many(keys, values) takes two sequences of equal length")
        if len(items) != len(values):
            raise BpfArgumentError(f"update_many got {len(items)} keys but {len(values)} values")
        return zip(items, values, strict=True), True
    if isinstance(items, Mapping):
        return items.items(), True
    return items, isinstance(items, Sequence)


def _chunks(
    m: BpfMap[Any, Any], pairs: Iterable[Any], length: int, sized: bool, with_values: bool = True
) -> Iterator[_Chunk]:
    """Encoded chunks of *length* elements; a sized input is encoded whole before the first is yielded."""
    encoded = (_encode(m, batch, with_values) for batch in _batched(iter(pairs), length))
    if sized:
        yield from list(encoded)
    else:
        yield from encoded


def _key_chunks(m: BpfMap[Any, Any], keys: Iterable[Any]) -> Iterator[_Chunk]:
    """Encoded chunks of keys alone (for deletes and lookups)."""
    sized = isinstance(keys, (Sequence, Mapping, set, frozenset))
    pairs = ((key, None) for key in keys)
    return _chunks(m, pairs, chunk_length(m._info.key_size, 0), sized, with_values=False)


def _batched(pairs: Iterator[Any], length: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(pairs, length)):
        yield batch


def _encode(m: BpfMap[Any, Any], batch: list[Any], with_values: bool) -> _Chunk:
    try:
        keys = [key for key, _ in batch]
    except (TypeError, ValueError):
        bad = next(item for item in batch if not (isinstance(item, (tuple, list)) and len(item) == 2))
        raise _EncodeFailure(bad, BpfArgumentError(f"expected (key, value) pairs, got {bad!r}")) from None
    packed_keys = _pack(keys, keys, m._pack_keys, m._pack_key)
    if not with_values:
        return _Chunk(keys, packed_keys, b"")
    values = [value for _, value in batch]
    return _Chunk(keys, packed_keys, _pack(values, keys, m._value.pack_many, m._pack_value))


def _pack(
    items: list[Any], keys: list[Any], pack_many: Callable[[list[Any]], bytes], pack_one: Callable[[Any], bytes]
) -> bytes:
    """``pack_many(items)``; if that fails, the key of the first item ``pack_one`` refuses, with its error."""
    try:
        return pack_many(items)
    except BpfArgumentError:
        for key, item in zip(keys, items, strict=True):
            try:
                pack_one(item)
            except BpfError as exc:
                raise _EncodeFailure(key, exc) from None
        raise


# -- reads ----------------------------------------------------------------------------------------


def read_batches(m: BpfMap[Any, Any], delete: bool = False) -> Iterator[tuple[bytes, bytes, int]]:
    """The map's elements, a chunk of packed keys and values at a time, by LOOKUP(_AND_DELETE)_BATCH.

    One pass over the map: each element at most once, every element present throughout
    included. With *delete*, each chunk is removed as it is read.
    """
    fd = m._live_fd()
    key_size, value_size = m._info.key_size, m._info.value_size
    capacity = min(m._info.max_entries, chunk_length(key_size, value_size))
    buffers = commands.BatchBuffers(key_size, value_size, capacity)
    resume = False
    while True:
        try:
            count, at_end = commands.map_lookup_batch(fd, buffers, resume, delete)
        except RawBpfError as exc:
            if exc.errno == errno.ENOSPC and buffers.capacity < m._info.max_entries:
                buffers = _grown(buffers, m._info.max_entries)  # a hash bucket bigger than the buffer
                continue
            raise m._error(exc, writing=delete) from None
        if count:
            yield buffers.keys.raw[: count * key_size], buffers.values.raw[: count * value_size], count
        if at_end:
            return
        resume = True


def pop_batch(m: BpfMap[Any, Any], max_count: int) -> dict[Any, Any]:
    """Remove and return up to *max_count* elements with one LOOKUP_AND_DELETE_BATCH from the start.

    The kernel moves whole hash buckets, so fewer may come back (and none when the first bucket
    holds more than *max_count*: ENOSPC, nothing deleted); the caller pops the rest one by one.
    """
    fd = m._live_fd()
    buffers = commands.BatchBuffers(m._info.key_size, m._info.value_size, max_count)
    try:
        count, _ = commands.map_lookup_batch(fd, buffers, False, True)
    except RawBpfError as exc:
        if exc.errno == errno.ENOSPC:
            return {}
        raise m._error(exc, writing=True) from None
    keys = m._key.unpack_many(buffers.keys.raw, count)
    return dict(zip(keys, m._value.unpack_many(buffers.values.raw, count), strict=True))


def _grown(buffers: commands.BatchBuffers, limit: int) -> commands.BatchBuffers:
    grown = commands.BatchBuffers(buffers.key_size, buffers.value_size, min(limit, 2 * buffers.capacity))
    grown.cursor.raw = buffers.cursor.raw
    return grown


def batch_works(m: BpfMap[Any, Any], name: str) -> bool:
    """Whether batch command *name* (``"update"``, ``"lookup"``...) is known to work on this map."""
    return features.probe(m._live_fd(), int(m._info.type), features.BATCH_COMMANDS[name]) is features.Probe.SUPPORTED
