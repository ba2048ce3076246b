"""``MapInfo``, what the kernel says about a map; ``list_maps()``, every map on the system; where maps are pinned."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

import attrs

from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import from_raw
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _pins


@attrs.frozen
class MapInfo:
    """A snapshot of a map's kernel metadata (``struct bpf_map_info`` plus ``frozen`` from fdinfo).

    ``type`` is a ``MapType`` when pybpfmaps knows the number, else the plain int. Fields the
    running kernel does not report are zero.
    """

    id: int
    type: MapType | int
    name: str
    key_size: int
    value_size: int
    max_entries: int
    flags: MapFlags
    btf_id: int = 0
    btf_key_type_id: int = 0
    btf_value_type_id: int = 0
    btf_vmlinux_value_type_id: int = 0
    map_extra: int = 0
    ifindex: int = 0
    frozen: bool = False
    error: str | None = None
    """Why the rest is unknown: ``list_maps()`` could not open this map (its type is then ``UNSPEC``)."""

    @property
    def type_name(self) -> str:
        """The type in bpftool's spelling, e.g. ``"lru_hash"``."""
        return self.type.name.lower() if isinstance(self.type, MapType) else f"type {self.type}"

    @property
    def label(self) -> str:
        """How messages name the map, e.g. ``"hash map 'flows' (id 42)"``."""
        name = f" {self.name!r}" if self.name else ""
        return f"{self.type_name} map{name} (id {self.id})"


def read_info(fd: int) -> MapInfo:
    """Ask the kernel about the map behind *fd*; raises ``RawBpfError`` if it is not a map."""
    raw = commands.map_get_info(fd)
    try:
        map_type: MapType | int = MapType(raw.type)
    except ValueError:
        map_type = int(raw.type)
    return MapInfo(
        id=raw.id,
        type=map_type,
        name=raw.name.decode("ascii", "replace"),
        key_size=raw.key_size,
        value_size=raw.value_size,
        max_entries=raw.max_entries,
        flags=MapFlags(raw.map_flags),
        btf_id=raw.btf_id,
        btf_key_type_id=raw.btf_key_type_id,
        btf_value_type_id=raw.btf_value_type_id,
        btf_vmlinux_value_type_id=raw.btf_vmlinux_value_type_id,
        map_extra=raw.map_extra,
        ifindex=raw.ifindex,
        frozen=read_fdinfo(fd).get("frozen") == "1",
    )


def list_maps() -> Iterator[MapInfo]:
    """Yield the ``MapInfo`` of every BPF map on the system, in id order (like ``bpftool map list``).

    A generator: ``list(list_maps())`` for a list. Maps that disappear while the list is walked
    are skipped; a map that cannot be opened (an LSM refusing it, say) is listed with its id and
    ``error`` saying why. Needs the same privileges as ``bpftool`` (root or CAP_SYS_ADMIN).
    """
    map_id = 0
    while True:
        try:
            next_id = commands.map_get_next_id(map_id)
        except RawBpfError as exc:
            if map_id == 0:  # the walk itself is refused: no map is involved
                hint = "listing BPF maps needs CAP_SYS_ADMIN (root); a pinned map opens by its path without it"
                raise from_raw(exc, map_label=None, hint=hint) from None
            raise from_raw(exc, map_label=f"the map after id {map_id}") from None
        if next_id is None:
            return
        map_id = next_id
        try:
            fd = Fd(commands.map_get_fd_by_id(map_id, 0), f"map id {map_id}")
        except RawBpfError as exc:
            if exc.errno == errno.ENOENT:  # the map went away between the two calls
                continue
            yield _unknown(map_id, f"cannot be opened: {exc.strerror}")
            continue
        try:
            info = read_info(fd.fileno())
        except RawBpfError as exc:
            info = _unknown(map_id, f"cannot be read: {exc.strerror}")
        finally:
            fd.close()
        yield info


def _unknown(map_id: int, error: str) -> MapInfo:
    return MapInfo(map_id, MapType.UNSPEC, "", 0, 0, 0, MapFlags.NONE, error=error)


def pinned_map_id(path: str) -> int | None:
    """The id of the map pinned at *path*, or ``None`` if the pin holds another kind of object.

    Raises ``RawBpfError`` if nothing at *path* can be opened as a pin (absent, not on a bpf
    filesystem, not readable).
    """
    fd = Fd(commands.obj_get(os.fsencode(path), int(MapFlags.RDONLY)), f"pin {path!r}")
    try:
        return read_info(fd.fileno()).id if "map_id" in read_fdinfo(fd.fileno()) else None
    finally:
        fd.close()


def pinned_maps() -> dict[int, list[str]]:
    """The pinned paths of every pinned map, by map id, over every bpf filesystem mounted.

    Pins of programs and links, pins that go away meanwhile and pins this process may not open
    are left out; no map needs a class or types for this.
    """
    pins: dict[int, list[str]] = {}
    for mount in _pins.bpffs_mounts():
        for directory, _, files in os.walk(mount):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    map_id = pinned_map_id(path)
                except (RawBpfError, OSError):
                    continue
                if map_id is not None:
                    pins.setdefault(map_id, []).append(path)
    return pins
