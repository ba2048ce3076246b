"""``decode_records``: the bytes of stream records into Python values, by a codec or as ``bytes``."""

from __future__ import annotations

from typing import Any

from pybpfmaps.codecs.base import Codec


def decode_records(codec: Codec[Any] | None, views: list[memoryview] | list[bytes]) -> list[Any]:
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
