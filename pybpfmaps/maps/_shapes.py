"""``update_many``'s input, whatever shape the caller wrote it in, as chunks of (keys, values) lists.

Every shape ends as two plain lists per chunk, made by C-level loops (``islice``, list
comprehensions, slicing), never by ``zip(*pairs)``: that call takes a chunk's pairs as tens of
thousands of arguments and costs several times the kernel's own work per element.

* two sequences (``update_many(keys, values)``, ``array.array``\\s too): sliced;
* a ``dict`` or its ``items()``: its keys and values iterated side by side;
* another ``Mapping``: its keys, and ``m[key]`` for each, unless the class has its own ``items()``
  (a ``BpfMap`` reads in batches there), which is then read as pairs;
* ``zip(a, b)`` of containers (lists, tuples, ranges, arrays, dict keys and values): the two
  iterators ``zip`` holds are read a chunk at a time each (``strict=True`` is honoured);
* anything else: (key, value) pairs, a chunk at a time, split in two after checking that each is
  a tuple or list of two.
"""

from __future__ import annotations

import array
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from pybpfmaps.errors import BpfArgumentError, BpfError

Columns = Iterator[tuple[Sequence[Any], Sequence[Any]]]
"""Chunks of keys and the values that go with them (as many of each)."""

_PAIRS = frozenset({tuple, list})
_DICT_ITEMS: type[Any] = type({}.items())
_CONTAINERS: tuple[Iterable[Any], ...] = (
    [],
    (),
    range(0),
    range(1 << 64),
    array.array("B"),
    {}.keys(),
    {}.values(),
    b"",
    "",
)
_CONTAINER_ITERATORS = frozenset(type(iter(container)) for container in _CONTAINERS)
"""Iterators over a container of their own, which ``zip`` may be read from one column at a time:
reading one never moves the other (unlike ``zip(it, it)`` or a generator over the other's source)."""


class BadElement(Exception):
    """An element that cannot be written (not a pair, or refused by its codec): its key and the error."""

    def __init__(self, key: object, cause: BpfError) -> None:
        super().__init__(key, cause)
        self.key = key
        self.cause = cause


def columns(items: object, values: Sequence[Any] | None, length: int) -> tuple[Columns, bool]:
    """update_many's input as chunks of at most *length* (keys, values), and whether it is sized
    (so that all of it can be encoded before the first write)."""
    if values is not None:
        if not isinstance(items, Sequence) or not isinstance(values, Sequence):
            raise BpfArgumentError("update_many(keys, values) takes two sequences of equal length")
        if len(items) != len(values):
            raise BpfArgumentError(f"update_many got {len(items)} keys but {len(values)} values")
        return _sliced(items, values, length), True
    if isinstance(items, dict):
        return _side_by_side(iter(items.keys()), iter(items.values()), length, strict=False), True
    if isinstance(items, Mapping):
        if type(items).items is Mapping.items:  # the mixin's items(): m[key] per key, done here in C
            return _looked_up(items, length), True
        return (split(chunk) for chunk in _batched(iter(items.items()), length)), True
    if type(items) is _DICT_ITEMS:  # d.items(): the dict's keys and values, side by side
        whole = cast(Any, items).mapping
        return _side_by_side(iter(whole.keys()), iter(whole.values()), length, strict=False), True
    if isinstance(items, Sequence):
        return (split(items[i : i + length]) for i in range(0, len(items), length)), True
    if type(items) is zip:
        unzipped = _unzipped(items, length)
        if unzipped is not None:
            return unzipped, False
    if not isinstance(items, Iterable):
        raise BpfArgumentError(f"update_many takes a mapping, (key, value) pairs or two sequences, got {items!r}")
    return (split(chunk) for chunk in _batched(iter(items), length)), False


def key_chunks(keys: Iterable[Any], length: int) -> tuple[Iterator[Sequence[Any]], bool]:
    """Keys alone in chunks of at most *length* (for deletes and lookups), and whether they are sized."""
    if isinstance(keys, Sequence):
        return (keys[i : i + length] for i in range(0, len(keys), length)), True
    return _batched(iter(keys), length), isinstance(keys, (Mapping, set, frozenset))


def split(pairs: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """A chunk of (key, value) pairs as a list of keys and a list of values.

    A pair is a tuple or a list of two (a named tuple too); nothing else of length 2 counts (a dict
    of two items, a two-character string), so such input is refused, not taken apart.
    """
    if not set(map(type, pairs)) <= _PAIRS:
        _refuse_non_pairs(pairs)  # subclasses of tuple (named tuples) pass
    try:
        keys = [key for key, _ in pairs]
    except ValueError:
        _refuse_non_pairs(pairs)
        raise
    return keys, [value for _, value in pairs]


def _refuse_non_pairs(pairs: Iterable[Any]) -> None:
    for item in pairs:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise BadElement(item, BpfArgumentError(f"expected (key, value) pairs (2-tuples), got {item!r}"))


def _sliced(keys: Sequence[Any], values: Sequence[Any], length: int) -> Columns:
    for start in range(0, len(keys), length):
        yield keys[start : start + length], values[start : start + length]


def _looked_up(mapping: Mapping[Any, Any], length: int) -> Columns:
    keys = iter(mapping)
    while chunk := list(itertools.islice(keys, length)):
        yield chunk, list(map(mapping.__getitem__, chunk))


def _unzipped(pairs: zip[Any], length: int) -> Columns | None:
    """The columns of ``zip(a, b)`` read from its two iterators, or None where that could differ
    from what the zip yields (more or fewer than two iterables, iterators of unknown kinds)."""
    reduced = cast("tuple[Any, ...]", pairs.__reduce__())  # (zip, iterators[, strict]): pickle's view of it
    sources: tuple[Iterator[Any], ...] = reduced[1]
    if len(sources) != 2 or not {type(source) for source in sources} <= _CONTAINER_ITERATORS:
        return None
    if sources[0] is sources[1]:
        return None
    strict = len(reduced) > 2 and bool(reduced[2])
    return _side_by_side(sources[0], sources[1], length, strict)


def _side_by_side(keys: Iterator[Any], values: Iterator[Any], length: int, strict: bool) -> Columns:
    """Chunks of *keys* with as many of *values*, ending with the shorter, as ``zip`` does (with
    *strict*, a ``ValueError`` where one ends first, as ``zip(strict=True)`` raises)."""
    islice = itertools.islice
    while True:
        chunk = list(islice(keys, length))
        matching = list(islice(values, len(chunk)))
        if len(matching) < len(chunk):
            if strict:
                raise ValueError("zip() argument 2 is shorter than argument 1")
            del chunk[len(matching) :]
        if chunk:
            yield chunk, matching
        if len(chunk) < length:
            if strict and len(matching) == len(chunk) and next(values, _END) is not _END:
                raise ValueError("zip() argument 2 is longer than argument 1")
            return


def _batched(items: Iterator[Any], length: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(items, length)):
        yield batch


_END = object()
