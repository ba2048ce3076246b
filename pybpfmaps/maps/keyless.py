"""``KeylessMap``: what queues, stacks and bloom filters share, maps of values without keys.

Their elements are only values: written with BPF_MAP_UPDATE_ELEM and read with LOOKUP_ELEM (or
LOOKUP_AND_DELETE_ELEM) with no key at all. The kernel's key size for them is 0.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic

from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps._typevars import V
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import NO_BYTES, RawCodec
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BatchUpdateError, BpfArgumentError, BpfError, CodecError
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps import _create, _display, _open
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self


class KeylessMap(MapCore, Generic[V]):
    """A map of values without keys; its ``value_codec`` encodes them."""

    create_flags = MapFlags.NUMA_NODE | MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG

    def __init__(self, fd: Fd, info: MapInfo, value: Codec[V], pin_path: str | None = None) -> None:
        """Take ownership of *fd*. Use ``create()`` or the ``from_*()`` constructors instead."""
        self._handle = self._handle_type(fd, info, NO_BYTES, value, type(self).__name__)
        self._pin_path = pin_path
        if value.size != info.value_size:
            raise CodecError(
                f"value codec {value!r} is {value.size} bytes but {info.label} has value_size {info.value_size}"
            )

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key is not None:
            raise BpfArgumentError(f"{info.label} has no keys, so it takes no key codec")
        typed = _open.btf_codecs(info)[1] if btf and value is None else None
        codec: Codec[Any] = as_codec(value, "value") if value is not None else typed or RawCodec(info.value_size)
        return cls(fd, info, codec, pin_path)

    @classmethod
    def _create(
        cls, value: Codec[Any] | type, max_entries: int, name: str, flags: MapFlags | int, btf: bool, map_extra: int = 0
    ) -> Self:
        return _create.create_keyless(cls, as_codec(value, "value"), max_entries, name, int(flags), btf, map_extra)

    @property
    def value_codec(self) -> Codec[V]:
        """The codec of the values."""
        codec: Codec[V] = self._handle.value
        return codec

    def _push(self, value: V, flags: int) -> None:
        h = self._handle
        data = h.pack_value(value)
        with h.translated(writing=True):
            h.call(h.commands.map_update_elem, None, data, flags)

    def _push_all(self, values: Iterable[V], flags: int, operation: str) -> int:
        """Push each of *values* in order, all encoded first (bad input writes nothing); how many.
        A refusal is a ``BatchUpdateError`` whose ``applied`` says how many were pushed."""
        h = self._handle
        items = list(values)
        packed = [h.pack_value(value) for value in items]
        for index, data in enumerate(packed):
            try:
                with h.translated(writing=True):
                    h.call(h.commands.map_update_elem, None, data, flags)
            except BpfError as exc:
                raise BatchUpdateError(operation, h.label, index, items[index], exc) from exc
        return len(packed)

    def _take(self, command: Any) -> bytes | None:
        """The next value's bytes by *command* (peek or pop), or ``None`` when the map is empty."""
        h = self._handle
        try:
            data: bytes = h.call(command, None, h.value_size)
        except RawBpfError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise h.error(exc, writing=command is h.commands.map_lookup_and_delete_elem) from None
        return data

    def __repr__(self) -> str:
        h = self._handle
        return _display.describe(h, type(self).__name__, self._pin_path, codecs=False).replace(
            " max_entries=", f" value={h.value!r} max_entries=", 1
        )
