"""Reading a whole map: (key, value) pairs in batches or by the key walk, and ``copy()``'s dict that merges no keys."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from pybpfmaps._sys import uapi
from pybpfmaps.errors import KeyCollisionError
from pybpfmaps.maps import _keypass, _reader
from pybpfmaps.maps._handle import MapHandle


def items(h: MapHandle, lock: bool = False) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs: batch reads where the kernel has them, else the walk."""
    if h.batch_works("lookup"):
        return itertools.chain.from_iterable(_chunks(h, lock))  # no Python frame per element
    return walk(h, lock)


def _chunks(h: MapHandle, lock: bool) -> Iterator[Iterator[tuple[Any, Any]]]:
    unpack_keys, unpack_values = h.key.unpack_many, h.value.unpack_many
    for packed_keys, packed_values, count in _reader.read_batches(h, lock=lock):
        yield zip(unpack_keys(packed_keys, count), unpack_values(packed_values, count), strict=True)


def walk(h: MapHandle, lock: bool = False) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs by GET_NEXT_KEY and LOOKUP_ELEM, skipping keys deleted in between."""
    unpack_key, unpack_value = h.key.unpack, h.value.unpack
    for raw_key in h.raw_keys():
        data = h.lookup_raw(raw_key, uapi.BPF_F_LOCK if lock else 0)
        if data is not None:
            yield unpack_key(raw_key), unpack_value(data)


def keys(h: MapHandle) -> Iterator[Any]:
    """The keys, read a chunk at a time where the kernel can (``_keypass``), else walked one by one."""
    if h.batch_works("lookup"):
        return _keypass.keys(h)
    return map(h.key.unpack, h.raw_keys())


def count(h: MapHandle) -> int:
    """How many keys the map holds, counted by reading it (or by reading, for it, the pass over the
    keys just begun: ``list(m)`` asks for the length of what it is about to iterate)."""
    if h.batch_works("lookup"):
        begun = _keypass.read_ahead(h)
        if begun is not None:
            return begun
        return sum(count for _, _, count in _reader.read_batches(h))
    return sum(1 for _ in h.raw_keys())


def copy(h: MapHandle, lock: bool) -> dict[Any, Any]:
    """A dict of the whole map; ``KeyCollisionError`` rather than merging keys that decode equal."""
    snapshot: dict[Any, Any] = {}
    read = 0
    if h.batch_works("lookup"):
        unpack_keys, unpack_values = h.key.unpack_many, h.value.unpack_many
        for packed_keys, packed_values, chunk in _reader.read_batches(h, lock=lock):
            snapshot.update(zip(unpack_keys(packed_keys, chunk), unpack_values(packed_values, chunk), strict=True))
            read += chunk
    else:
        for key, value in walk(h, lock):
            snapshot[key] = value
            read += 1
    if len(snapshot) != read:
        check_collisions(h)
    return snapshot


def raw(h: MapHandle, lock: bool) -> tuple[bytearray, bytearray, int]:
    """The packed keys and values of the whole map, each side in one buffer, and their count."""
    keys, values = bytearray(), bytearray()
    read = 0
    if h.batch_works("lookup"):
        for packed_keys, packed_values, chunk in _reader.read_batches(h, lock=lock):
            keys += packed_keys
            values += packed_values
            read += chunk
        return keys, values, read
    for raw_key in h.raw_keys():
        data = h.lookup_raw(raw_key, uapi.BPF_F_LOCK if lock else 0)
        if data is not None:
            keys += raw_key
            values += data
            read += 1
    return keys, values, read


def check_collisions(h: MapHandle) -> None:
    """Raise ``KeyCollisionError`` if distinct keys of the map decode equal (a read that met a key
    twice, as a trie's walk can while others write, is no collision)."""
    seen: dict[Any, bytes] = {}
    for raw_key in h.raw_keys():
        key = h.key.unpack(raw_key)
        if key in seen and seen[key] != raw_key:
            raise KeyCollisionError(
                f"{h.label}: keys {seen[key]!r} and {raw_key!r} both decode to {key!r}, so one dict "
                "cannot hold both; open the map with a raw key codec to tell them apart",
                [seen[key], raw_key],
            )
        seen[key] = raw_key
