"""``decode_records``: the bytes of stream records into Python values, by a codec or as ``bytes``."""

from __future__ import annotations

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
