"""A pass over a map's keys, and the two things its batch reads make cheap: ``len()`` and ``dict(m)``.

A batch read copies each key's value along with it. So:

* A pass that runs to the end keeps those values (up to ``RECENT_BYTES``) as ``h.recent``, and
  ``m[key]`` for the keys it handed out, in that order and before anything else uses the map,
  answers from them without a syscall. ``dict(m)`` lists the keys, then looks each one up: it
  reads the map once. Any use of the fd (every other read and every write through this map
  object) drops them, so a lookup never answers from values older than this object's own last
  write; they are as fresh as those of ``m.items()`` read at the same moment.
* ``list(m)`` (and ``sorted``, ``tuple``, ``dict(m)``...) asks for ``len(m)`` right after making
  the iterator and before taking a key. A pass that has not begun then reads the map for that
  length, and the iterator hands out what that read found, instead of a second read: the length
  is exactly the number of keys the pass yields.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from pybpfmaps.maps import _reader
from pybpfmaps.maps._handle import MapHandle

RECENT_BYTES = 64 << 20
"""The most value bytes a pass keeps for the lookups that may follow it."""

Chunk = tuple[list[Any], bytes | None, int]
"""Decoded keys, their values as read (None once over ``RECENT_BYTES``) and their count."""


class Pass:
    """One pass over the keys: begun or not, and the chunks read ahead for a ``len()``."""

    __slots__ = ("begun", "read")

    def __init__(self) -> None:
        self.begun = False
        self.read: list[Chunk] | None = None


def keys(h: MapHandle) -> Iterator[Any]:
    """The keys, a batch read at a time (the map's batch lookup must work)."""
    state = Pass()
    h.unbegun = state
    return itertools.chain.from_iterable(_chunks(h, state))


def read_ahead(h: MapHandle) -> int | None:
    """For ``len()``: if the last pass made has not begun, read the map for it now and return how
    many keys it will yield; else None."""
    state = h.unbegun
    if state is None or state.begun or state.read is not None:
        return None
    state.read = list(_read(h))
    total: int = sum(count for _, _, count in state.read)
    return total


def _chunks(h: MapHandle, state: Pass) -> Iterator[list[Any]]:
    state.begun = True
    if h.unbegun is state:
        h.unbegun = None
    kept: list[Chunk] = []
    complete = True
    for chunk in state.read if state.read is not None else _read(h):
        kept.append(chunk)
        complete = complete and chunk[1] is not None
        yield chunk[0]
    if complete:  # the pass is over, and so are its reads: the fd is not in use
        h.recent = _replay(kept, h.value.unpack_many)


def _read(h: MapHandle) -> Iterator[Chunk]:
    unpack_many = h.key.unpack_many
    size = 0
    for packed_keys, packed_values, count in _reader.read_batches(h):
        size += len(packed_values)
        yield unpack_many(packed_keys, count), bytes(packed_values) if size <= RECENT_BYTES else None, count


def _replay(kept: list[Chunk], unpack_many: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) in the order of the pass, each chunk's values decoded when the first is asked for
    (in C but for that decoding: ``next()`` of it is cheap)."""

    def pairs(chunk: Chunk) -> Iterator[tuple[Any, Any]]:
        decoded, packed_values, count = chunk
        return zip(decoded, unpack_many(packed_values, count), strict=True)

    return itertools.chain.from_iterable(map(pairs, kept))
