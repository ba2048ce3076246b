"""``MapInfo``, what the kernel says about a map, and ``list_maps()``, every map on the system."""

from __future__ import annotations

import errno
from collections.abc import Iterator

import attrs

from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import from_raw
from pybpfmaps.flags import MapFlags, MapType


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

    Maps that disappear while the list is walked are skipped. Needs the same privileges as
    ``bpftool`` (root or CAP_SYS_ADMIN).
    """
    map_id = 0
    while True:
        try:
            next_id = commands.map_get_next_id(map_id)
            if next_id is None:
                return
            map_id = next_id
            fd = Fd(commands.map_get_fd_by_id(map_id, 0), f"map id {map_id}")
        except RawBpfError as exc:
            if exc.errno == errno.ENOENT:  # the map went away between the two calls
                continue
            raise from_raw(exc, map_label=f"map id {map_id}") from None
        try:
            info = read_info(fd.fileno())
        finally:
            fd.close()
        yield info
