"""Finding maps for the command line: by id, pinned path or name."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import BpfArgumentError, from_raw
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps import BpfMap, MapCore, MapInfo, OpaqueMap, list_maps
from pybpfmaps.maps.info import read_info


def open_any(spec: str, *, readonly: bool = False) -> MapCore:
    """The map *spec* names, of any type: an id (``42``), a pinned path (anything with a ``/``) or a map name."""
    if spec.isdigit():
        return MapCore.from_id(int(spec), readonly=readonly)
    if "/" in spec:
        return MapCore.from_pin(spec, readonly=readonly)
    return MapCore.from_id(_id_by_name(spec), readonly=readonly)


def open_map(spec: str, *, readonly: bool = False, command: str = "") -> BpfMap[Any, Any]:
    """The keyed map *spec* names; a map without keys (queue, stack, bloom filter) is refused for *command*."""
    m = open_any(spec, readonly=readonly)
    if not isinstance(m, BpfMap):
        kind, cls, opaque = m.info.type_name, type(m).__name__, isinstance(m, OpaqueMap)
        m.close()
        if opaque:
            raise BpfArgumentError(f"{command}: {kind} maps hold no elements (their contents are streams or memory)")
        raise BpfArgumentError(
            f"{command}: {kind} maps have no keys; open it with 'pybpfmaps shell {spec}' and use {cls}'s methods"
        )
    return m


def _id_by_name(spec: str) -> int:
    matches = [info.id for info in list_maps() if info.name == spec]
    if not matches:
        raise BpfArgumentError(
            f"no map named {spec!r} (see 'pybpfmaps list'; maps can also be named by id or pinned path)"
        )
    if len(matches) > 1:
        ids = ", ".join(map(str, matches))
        raise BpfArgumentError(f"{len(matches)} maps are named {spec!r} (ids {ids}): name one by id or pinned path")
    return matches[0]


def find_info(spec: str) -> MapInfo:
    """What the kernel says of the map *spec* names, without opening it as a map object (no class, no types needed)."""
    if spec.isdigit():
        return _info_of(lambda: commands.map_get_fd_by_id(int(spec), int(MapFlags.RDONLY)), f"map id {spec}")
    if "/" in spec:
        return _info_of(lambda: commands.obj_get(os.fsencode(spec), int(MapFlags.RDONLY)), f"pin {spec!r}")
    return next(info for info in list_maps() if info.id == _id_by_name(spec))


def _info_of(open_fd: Callable[[], int], label: str) -> MapInfo:
    try:
        fd = Fd(open_fd(), label)
    except RawBpfError as exc:
        raise from_raw(exc, map_label=label) from None
    try:
        if "map_id" not in read_fdinfo(fd.fileno()):
            raise BpfArgumentError(f"{label} is not a map")
        return read_info(fd.fileno())
    except RawBpfError as exc:
        raise from_raw(exc, map_label=label) from None
    finally:
        fd.close()
