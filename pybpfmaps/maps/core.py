"""``MapCore``: what every map is, keyed or not: a handle, a lifecycle, pinning, its info, and the class registry.

Keyed maps (``BpfMap`` and its dict behaviour) build on it; maps without keys (queues, stacks,
bloom filters) and maps that stream (ring buffers) can stand on it directly. A class that sets
``map_type`` is the one ``from_pin``/``from_id``/``from_fd`` return for that kernel map type; it
builds itself from an open fd in ``_from_kernel``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _display, _open, _pinning, _registry
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps.info import MapInfo, read_info

if TYPE_CHECKING:
    from typing_extensions import Self


class MapCore:
    """An open BPF map of any type: its fd (through a ``MapHandle``), lifecycle, pin and info.

    Close it with ``close()`` or a ``with`` block; the map itself lives on while the kernel holds a
    reference (a pin, a program, another fd).
    """

    map_type: ClassVar[MapType | None] = None
    """The kernel map type this class wraps."""
    create_flags: ClassVar[MapFlags] = MapFlags.NONE
    """The ``MapFlags`` this map type accepts at creation."""
    _handle_type: ClassVar[type[MapHandle]] = MapHandle
    """The handle this class works through (``ArrayMap``'s checks and walks indexes)."""

    _handle: MapHandle
    _pin_path: str | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("map_type") is not None:
            _registry.register(int(cls.__dict__["map_type"]), cls)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        """Build the object for an fd the kernel gave (a subclass decides what codecs it needs)."""
        raise NotImplementedError(f"{cls.__name__} cannot open maps")

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def from_fd(
        cls, fd: int, *, key: Codec[Any] | type | None = None, value: Codec[Any] | type | None = None, btf: bool = True
    ) -> Self:
        """Open the map behind a descriptor you own; the map object keeps its own duplicate.

        Returns the subclass for the kernel's map type. Keys and values without a codec given get
        one from the map's BTF if it has some (and *btf* is true: typed structs, enums, strings),
        else ``raw`` bytes of the map's sizes (``u32`` indexes for arrays).
        """
        return _open.adopt(cls, _open.open_fd(fd), key, value, None, btf_types=btf)

    @classmethod
    def from_pin(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        writeonly: bool = False,
        key: Codec[Any] | type | None = None,
        value: Codec[Any] | type | None = None,
        btf: bool = True,
    ) -> Self:
        """Open a map pinned on a bpf filesystem; ``unpin()`` then removes that pin.

        *readonly*/*writeonly* ask the kernel for an fd that can only read or only write. Codecs
        not given come from the map's BTF, as for ``from_fd``.
        """
        fd, text = _open.open_pin(path, readonly, writeonly)
        return _open.adopt(cls, fd, key, value, text, btf_types=btf)

    @classmethod
    def from_id(
        cls,
        map_id: int,
        *,
        readonly: bool = False,
        writeonly: bool = False,
        key: Codec[Any] | type | None = None,
        value: Codec[Any] | type | None = None,
        btf: bool = True,
    ) -> Self:
        """Open a map by its kernel id (``info.id``, ``bpftool map list``); needs CAP_SYS_ADMIN.

        Codecs not given come from the map's BTF, as for ``from_fd``.
        """
        return _open.adopt(cls, _open.open_id(map_id, readonly, writeonly), key, value, None, btf_types=btf)

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._handle.fd.closed

    def close(self) -> None:
        """Release this object's fd; safe to call twice. The map lives on while the kernel holds it."""
        self._handle.fd.close()

    def fileno(self) -> int:
        """The map's file descriptor, for passing to other libraries (still owned by this object)."""
        return self._handle.live_fd()

    def __enter__(self) -> Self:
        self._handle.live_fd()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(f"cannot pickle {type(self).__name__}: pin the map and open it with from_pin() instead")

    # -- what the kernel says -------------------------------------------------------------------

    @property
    def max_entries(self) -> int:
        """The map's capacity."""
        return self._handle.info.max_entries

    @property
    def name(self) -> str:
        """The map's kernel name (at most 15 characters)."""
        return self._handle.info.name

    @property
    def id(self) -> int:
        """The map's kernel id."""
        return self._handle.info.id

    @property
    def info(self) -> MapInfo:
        """A fresh ``MapInfo`` from the kernel (``frozen`` included)."""
        with self._handle.translated():
            return self._handle.call(read_info)

    # -- pins -----------------------------------------------------------------------------------

    @property
    def pin_path(self) -> str | None:
        """Where this object pinned the map, or the path it was opened from."""
        return self._pin_path

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the map at *path* on a bpf filesystem (``mount -t bpf bpf DIR``), so it outlives this process."""
        self._pin_path = _pinning.pin(self._handle, path)

    def unpin(self) -> None:
        """Remove the pin this object made or was opened from, after checking it still names this map.

        A path that leads to the pin through symbolic links removes the pin itself, not the links.
        """
        _pinning.unpin(self._handle, self._pin_path)
        self._pin_path = None

    def freeze(self) -> None:
        """Forbid all further writes from user space, for good (BPF programs may still write).

        Freezing a frozen map does nothing. Needs a writable fd.
        """
        _pinning.freeze(self._handle)

    def __repr__(self) -> str:
        return _display.describe(self._handle, type(self).__name__, self._pin_path, codecs=False)
