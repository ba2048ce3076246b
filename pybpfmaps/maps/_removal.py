"""drain, pop_many and clear: removals that lose nothing, whatever stops them.

An element removed from the kernel exists only in this process, so every removed element is
either returned or carried by the exception that stops the operation: ``DrainError.removed``
(and ``.undecoded`` for bytes the codecs refuse, say a validator of the user's class, or whose
key decodes equal to another's, which one dict cannot hold) or ``BatchInterrupted.removed`` for
Ctrl-C, which is held back while a removal and its bookkeeping are in flight.
"""

from __future__ import annotations

import errno
import itertools
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import (
    BatchInterrupted,
    BpfArgumentError,
    BpfError,
    DrainError,
    KeyCollisionError,
    KeyNotFoundError,
)
from pybpfmaps.maps import _reader
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps._interrupts import Guard, deferred_interrupts

_NOTHING: Any = object()
"""``removed`` before a removal has begun."""


class _Removed:
    """What an operation has removed so far: decoded elements, and the bytes of the others."""

    __slots__ = ("count", "decoded", "failure", "undecoded")

    def __init__(self) -> None:
        self.decoded: dict[Any, Any] = {}
        self.undecoded: list[tuple[bytes, bytes]] = []
        self.failure: Exception | None = None
        self.count = 0

    def add_chunk(self, h: MapHandle, keys: memoryview, values: memoryview, count: int) -> None:
        """Decode a chunk the kernel removed; elements the codecs refuse, or whose keys decode equal
        to another's, are kept as bytes."""
        self.count += count
        try:
            chunk = dict(zip(h.key.unpack_many(keys, count), h.value.unpack_many(values, count), strict=True))
        except Exception:
            chunk = None
        if chunk is not None and len(chunk) == count and self.decoded.keys().isdisjoint(chunk):
            self.decoded.update(chunk)
            return
        key_size, value_size = h.info.key_size, h.value_size
        for i in range(count):
            raw_key = bytes(keys[i * key_size : (i + 1) * key_size])
            self.add_one(h, raw_key, bytes(values[i * value_size : (i + 1) * value_size]), counted=True)

    def add_one(self, h: MapHandle, raw_key: bytes, raw_value: bytes, counted: bool = False) -> None:
        self.count += 0 if counted else 1
        try:
            key, value = h.key.unpack(raw_key), h.value.unpack(raw_value)
        except Exception as exc:
            self.undecoded.append((raw_key, raw_value))
            self.failure = self.failure or exc
            return
        if key in self.decoded:  # a key that decodes equal to one removed before: the dict holds one
            self.undecoded.append((raw_key, raw_value))
            self.failure = self.failure or KeyCollisionError(
                f"a removed key decodes to {key!r}, as another removed key does, so one dict cannot hold both",
                [h.key.pack(key), raw_key] if _packs(h, key) else [raw_key],
            )
            return
        self.decoded[key] = value

    def result(self, operation: str, h: MapHandle) -> dict[Any, Any]:
        """The decoded elements, or a DrainError carrying them all if some could not be decoded."""
        if self.failure is not None:
            raise self.error(operation, h, self.failure)
        return self.decoded

    def error(self, operation: str, h: MapHandle, cause: BaseException) -> DrainError:
        undecodable = cause is self.failure
        failed_key = self.undecoded[0][0] if undecodable else None
        error = DrainError(operation, h.label, self.count, failed_key, cause)
        if undecodable:
            error.args = (
                f"{operation} on {h.label} removed {self.count} element(s); {len(self.undecoded)} could not be "
                f"returned decoded (.undecoded holds their bytes, .removed the others): {cause}",
            )
        error.removed, error.undecoded = self.decoded, self.undecoded
        error.__cause__ = cause
        return error

    def stopped(self, operation: str, h: MapHandle, exc: BaseException) -> BaseException:
        """What a removal stopped by *exc* raises: a ``BatchInterrupted`` for Ctrl-C, a ``DrainError`` for
        an error after the first removal, both carrying what was removed; an error before it, itself."""
        if isinstance(exc, (BatchInterrupted, DrainError)):
            return exc
        if isinstance(exc, KeyboardInterrupt):
            return BatchInterrupted(operation, h.label, self.count, self.decoded, self.undecoded)
        return self.error(operation, h, exc) if self.count else exc


def _packs(h: MapHandle, key: Any) -> bool:
    try:
        h.key.pack(key)
    except Exception:
        return False
    return True


def drain(h: MapHandle, operation: str = "drain") -> dict[Any, Any]:
    """Remove every element in one pass and return them; see ``MutableBpfMap.drain``.

    Ctrl-C is recorded while it runs and raised between chunks; from its first line to its return,
    a Ctrl-C or an error comes out carrying everything removed (as in ``pop_many``).
    """
    removed = _NOTHING  # no call before the try: nothing can stop it outside
    try:
        removed = _Removed()
        with deferred_interrupts() as guard:
            if not h.batch_works("lookup_and_delete"):
                _pop_each_into(h, removed, None, guard)
            else:
                for chunk in _reader.read_batches(h, delete=True):
                    removed.add_chunk(h, *chunk)
                    guard.check()
        return removed.result(operation, h)
    except (KeyboardInterrupt, BpfError) as exc:
        error = (removed if removed is not _NOTHING else _Removed()).stopped(operation, h, exc)
        if error is exc:
            raise
        raise error from exc


def pop_many(h: MapHandle, max_count: int) -> dict[Any, Any]:
    """Remove and return up to *max_count* elements; see ``MutableBpfMap.pop_many``."""
    removed = _NOTHING
    try:
        removed = _Removed()
        with deferred_interrupts() as guard:
            if not isinstance(max_count, int) or isinstance(max_count, bool) or max_count < 0:
                raise BpfArgumentError(f"max_count must be an int >= 0, got {max_count!r}")
            if max_count and h.batch_works("lookup_and_delete"):
                _pop_batches_into(h, removed, max_count, guard)
            if removed.count < max_count:
                _pop_each_into(h, removed, max_count - removed.count, guard)
        return removed.result("pop_many", h)
    except (KeyboardInterrupt, BpfError) as exc:
        error = (removed if removed is not _NOTHING else _Removed()).stopped("pop_many", h, exc)
        if error is exc:
            raise
        raise error from exc


def _pop_batches_into(h: MapHandle, removed: _Removed, max_count: int, guard: Guard) -> None:
    """LOOKUP_AND_DELETE_BATCH calls until *max_count* are removed or the map is empty; buffers for what
    the map can hold, in chunks, never for the count asked (``pop_many(10**10)``)."""
    key_size, value_size = h.info.key_size, h.value_size
    chunk = min(max_count, h.chunks.read(key_size, value_size, h.info.max_entries))
    buffers = commands.BatchBuffers(key_size, value_size, chunk)
    keys, values = memoryview(buffers.keys).cast("B"), memoryview(buffers.values).cast("B")
    at_end = False
    while removed.count < max_count and not at_end:
        buffers.capacity = min(chunk, max_count - removed.count)
        count, at_end = _pop_batch(h, buffers)
        removed.add_chunk(h, keys, values, count)
        guard.check()
        at_end = at_end or not count


def _pop_each_into(h: MapHandle, removed: _Removed, limit: int | None, guard: Guard) -> None:
    for raw_key in list(itertools.islice(h.raw_keys(), limit)):
        try:
            raw_value = h.pop_raw(raw_key, raw_key)
        except KeyNotFoundError:
            continue  # another writer removed it first
        removed.add_one(h, raw_key, raw_value)
        guard.check()


def _pop_batch(h: MapHandle, buffers: commands.BatchBuffers) -> tuple[int, bool]:
    """One LOOKUP_AND_DELETE_BATCH from the start into *buffers*: how many elements it removed, and
    whether it reached the end of the map.

    The kernel moves whole hash buckets, so fewer than asked may come back (and none when the
    first bucket holds more than fit: ENOSPC, nothing deleted); the caller pops the rest one by one.
    """
    try:
        count, at_end = h.call(h.commands.map_lookup_batch, buffers, False, True)
    except RawBpfError as exc:
        if exc.errno == errno.ENOSPC:
            return 0, False
        raise h.error(exc, writing=True) from None
    return count, at_end
