"""Maps an object pins by name (``LIBBPF_PIN_BY_NAME``, or a ``pin_path`` set before load): a map
already pinned there is reused when it is compatible — the same type, key and value sizes, entries,
flags and extra — as libbpf reuses it; one that is not is an error that says what differs."""

from __future__ import annotations

import os

from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.maps import MapCore
from pybpfmaps.objects.map_defs import MapSpec

DEFAULT_ROOT = "/sys/fs/bpf"
"""Where libbpf pins maps by name unless told otherwise."""


def reused(spec: MapSpec) -> MapCore | None:
    """The map pinned at ``spec.pin_path`` when there is one; ``None`` when nothing is pinned there."""
    if spec.pin_path is None or not os.path.lexists(spec.pin_path):
        return None
    found = MapCore.from_pin(spec.pin_path)
    try:
        info = found.info
        theirs = (int(info.type), info.key_size, info.value_size, info.max_entries, int(info.flags), info.map_extra)
        ours = (int(spec.map_type), spec.key_size, spec.value_size, spec.max_entries, int(spec.flags), spec.map_extra)
        names = ("type", "key size", "value size", "max_entries", "flags", "map_extra")
        differ = [f"{name} {mine} here, {pinned} there" for name, mine, pinned in zip(names, ours, theirs, strict=True)
                  if mine != pinned]  # fmt: skip
        if differ:
            raise BpfArgumentError(
                f"map {spec.name!r} cannot reuse the map pinned at {spec.pin_path!r}: {'; '.join(differ)}"
            )
    except BaseException:
        found.close()
        raise
    return found
