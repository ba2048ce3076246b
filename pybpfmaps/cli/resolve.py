"""Finding maps for the command line: by id, pinned path or name, and the pins of each map."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pybpfmaps.errors import BpfArgumentError, BpfError
from pybpfmaps.maps import BpfMap, _pins, list_maps


def open_map(spec: str, *, readonly: bool = False) -> BpfMap[Any, Any]:
    """The map *spec* names: an id (``42``), a pinned path (anything with a ``/``) or a map name."""
    if spec.isdigit():
        return BpfMap.from_id(int(spec), readonly=readonly)
    if "/" in spec:
        return BpfMap.from_pin(spec, readonly=readonly)
    matches = [info.id for info in list_maps() if info.name == spec]
    if not matches:
        raise BpfArgumentError(
            f"no map named {spec!r} (see 'pybpfmaps list'; maps can also be named by id or pinned path)"
        )
    if len(matches) > 1:
        ids = ", ".join(map(str, matches))
        raise BpfArgumentError(f"{len(matches)} maps are named {spec!r} (ids {ids}): name one by id or pinned path")
    return BpfMap.from_id(matches[0], readonly=readonly)


def bpffs_mounts() -> list[Path]:
    """Where bpf filesystems are mounted."""
    return [Path(point) for point in _pins.bpffs_mounts()]


def pins_by_id() -> dict[int, list[str]]:
    """The pinned paths of every pinned map, by map id."""
    pins: dict[int, list[str]] = {}
    for mount in bpffs_mounts():
        for directory, _, files in os.walk(mount):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    with BpfMap.from_pin(path, readonly=True) as pinned:
                        pins.setdefault(pinned.id, []).append(path)
                except (BpfError, OSError):
                    continue  # a program, a link, or something that went away
    return pins
