"""Values the kernel takes as a file descriptor and gives back as an id: programs in a prog array,
maps in a map of maps.

Writing takes the object itself (anything with ``fileno()``: a ``BpfProgram``, a map) or a plain
fd number; reading gives the object opened again from the id the kernel answers with (the caller
owns it: close it, or use ``with``). ``ids()`` of the map classes reads the ids without opening.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import from_json, to_json
from pybpfmaps.errors import BpfArgumentError, CodecTypeError
from pybpfmaps.maps._handle import MapHandle

T = TypeVar("T")


class FdValueCodec(Codec[T], Generic[T]):
    """A value written as an fd (from ``fileno()``) and read as what *open_id* makes of the id (or
    cookie) the kernel answers with."""

    __slots__ = ("open_id", "what")

    def __init__(self, what: str, open_id: Callable[[int], T], size: int = 4) -> None:
        super().__init__(size, what, size)
        self.what = what
        self.open_id = open_id

    def pack(self, value: Any) -> bytes:
        number = value.fileno() if hasattr(value, "fileno") else value
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2**31:
            raise CodecTypeError(
                f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a {self.what} object "
                "or its file descriptor"
            )
        return number.to_bytes(self.size, sys.byteorder)

    def unpack(self, data: Buffer) -> T:
        return self.open_id(int.from_bytes(data, sys.byteorder))

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(f"{self.size}s", self.pack, self.unpack)


@to_json.register(FdValueCodec)
def _(codec: FdValueCodec[Any], value: Any) -> Any:
    """A program or map as ``{"id": ..., "name": ...}`` (the object read only to be shown is
    closed); a socket's cookie as it is."""
    if isinstance(value, int):
        return value
    with value:
        return {"id": value.id, "name": value.name}


@from_json.register(FdValueCodec)
def _(codec: FdValueCodec[Any], value: Any, role: str, *, text: bool = False) -> Any:
    """A program or map named by its id (a number, or ``{"id": ...}`` as ``to_json`` shows it)."""
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BpfArgumentError(f"bad {role} {value!r}: expected the id of a {codec.what}")
    with codec.open_id(value) as opened:  # the command line names programs and maps by id; the kernel takes fds
        return os.dup(opened.fileno())  # for the one write this command makes; the process's exit closes it


def ids(h: MapHandle) -> Iterator[tuple[Any, int]]:
    """(key, id) of every element, by the key walk: the ids as the kernel answers lookups, nothing opened."""
    unpack_key = h.key.unpack
    for raw_key in h.raw_keys():
        data = h.lookup_raw(raw_key)
        if data is not None:
            yield unpack_key(raw_key), int.from_bytes(data, sys.byteorder)
