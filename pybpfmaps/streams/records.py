"""``decode_records``: the bytes of stream records into Python values, by a codec or as ``bytes``."""

from __future__ import annotations

import array
import functools
import struct
from collections.abc import Sequence
from typing import Any

from pybpfmaps.codecs.base import Buffer, Codec

RUN_CHUNK = 128
"""Records one ``struct`` call splits out of a run: one C call makes that many ``bytes``."""


def decode_records(codec: Codec[Any] | None, views: Sequence[Buffer]) -> list[Any]:
    """Copies of *views* (``memoryview``s or ``bytes``): ``bytes``, or values of *codec*.

    A record whose length is not the codec's size comes as ``bytes``, so nothing a program sent is
    lost to a type that does not fit it. Records of the codec's size are decoded together.
    """
    if codec is None or not views:
        return [bytes(view) for view in views]
    size = codec.size
    if all(len(view) == size for view in views):
        return codec.unpack_many(b"".join(views), len(views))
    unpack = codec.unpack
    return [unpack(bytes(view)) if len(view) == size else bytes(view) for view in views]


def split_run(block: Buffer, start: int, skip: int, length: int, stride: int, count: int) -> list[bytes]:
    """The *count* records of *block* from *start*, one every *stride* bytes, each *length* bytes after a
    *skip*-byte header.

    ``struct`` cuts ``RUN_CHUNK`` of them per call, so the per-record cost is little more than
    making each ``bytes``.
    """
    records: list[bytes] = []
    whole, rest = divmod(count, RUN_CHUNK)
    if whole:
        chunk = _splitter(skip, length, stride, RUN_CHUNK).unpack_from
        extend = records.extend
        for at in range(start, start + whole * RUN_CHUNK * stride, RUN_CHUNK * stride):
            extend(chunk(block, at))
    if rest:
        records.extend(_splitter(skip, length, stride, rest).unpack_from(block, start + whole * RUN_CHUNK * stride))
    return records


@functools.lru_cache(maxsize=256)
def _splitter(skip: int, length: int, stride: int, count: int) -> struct.Struct:
    return struct.Struct(f"{skip}x{length}s{stride - skip - length}x" * count)


_CHUNK = 4096
_REPEATS: dict[tuple[str, int], memoryview] = {}


def all_equal(words: memoryview, value: int) -> bool:
    """Whether every element of *words* (a 1-D view of native scalars, strided over headers) is *value*.

    Compared with a run of *value*s chunk by chunk, element by element in C: far cheaper than
    copying the headers out first.
    """
    fmt = words.format
    same = _REPEATS.get((fmt, value))
    if same is None:
        same = _REPEATS[fmt, value] = memoryview(array.array(fmt, [value]) * _CHUNK)
    count = len(words)
    for at in range(0, count - _CHUNK + 1, _CHUNK):
        if words[at : at + _CHUNK] != same:
            return False
    rest = count % _CHUNK
    return not rest or words[count - rest :] == same[:rest]
