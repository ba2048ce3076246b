"""``pybpfmaps list`` and ``show``: what the kernel says of maps, how many entries they hold, who
holds them; as a table, or as JSON lines, one array or pretty-printed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pybpfmaps.cli import output
from pybpfmaps.cli.holders import holders, memlock
from pybpfmaps.cli.resolve import open_any
from pybpfmaps.codecs.aggregates import untyped_parts
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfError
from pybpfmaps.flags import MapType
from pybpfmaps.maps import BpfMap, GenericMap, KeylessMap, MapCore, MapInfo, list_maps
from pybpfmaps.maps.info import pinned_maps

CHEAP_COUNT = 100_000
"""``list`` counts the entries of hash maps up to this capacity."""
COLUMNS = ("id", "type", "name", "key_size", "value_size", "max_entries", "entries", "pinned")
HEADER = ("id", "type", "name", "key", "value", "max", "entries", "pinned")


def cmd_list(args: argparse.Namespace) -> int:
    pins = pinned_maps()
    rows = (_summary(info, pins.get(info.id, []), count_up_to=CHEAP_COUNT) for info in list_maps())
    mode = output.json_mode(args)
    if mode is not None:
        output.write_json(rows, mode)
        return 0
    output.print_table(HEADER, [tuple(_cell(row[name]) for name in COLUMNS) for row in rows])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_any(args.map) as m:  # read-write, so that the batch probes can tell what works
        info, details, charged = m.info, _details(m), memlock(m.fileno())
    row = _summary(info, pinned_maps().get(info.id, []), count_up_to=None)
    row.update(frozen=info.frozen, flags=str(info.flags), btf_id=info.btf_id, memlock=charged)
    row.update(details)
    row["held_by"] = [holder.to_json() for holder in holders(info.id)]
    mode = output.json_mode(args)
    if mode is not None:
        output.write_one(row, mode)
        return 0
    row["held_by"] = [f"{each['command']}({each['pid']})" for each in row["held_by"]]
    width = max(map(len, row))
    for name, value in row.items():
        print(f"{name:<{width}}  {_cell(value)}")
    return 0


def _details(m: MapCore) -> dict[str, Any]:
    """What ``show`` says of a map beyond its info: its codecs, which batch commands work, and a note
    for maps of a type pybpfmaps has no class for."""
    if not isinstance(m, BpfMap):
        return {"value_codec": _codec_note(m.value_codec)} if isinstance(m, KeylessMap) else {}
    support = m.batch_support
    details: dict[str, Any] = {
        "key_codec": _codec_note(m.key_codec),
        "value_codec": _codec_note(m.value_codec),
        "batch": {
            "lookup": support.lookup,
            "update": support.update,
            "delete": support.delete,
            "lookup_and_delete": support.lookup_and_delete,
            "why": support.reason,
        },
    }
    if isinstance(m, GenericMap):
        details["note"] = (
            f"pybpfmaps has no class for {m.info.type_name} maps yet: opened as a GenericMap (raw bytes through "
            "the generic element commands)"
        )
    return details


def _codec_note(codec: Codec[Any]) -> str:
    """A codec's repr, with what its BTF could not type and why."""
    untyped = untyped_parts(codec)
    return f"{codec!r} (raw bytes: {'; '.join(untyped)})" if untyped else repr(codec)


def _summary(info: MapInfo, pins: list[str], count_up_to: int | None) -> dict[str, Any]:
    """What ``list`` and ``show`` say of a map; entries are counted up to that capacity (None: always)."""
    if info.error is not None:
        return {"id": info.id, "type": None, "name": None, "key_size": None, "value_size": None,
                "max_entries": None, "entries": None, "pinned": pins, "error": info.error}  # fmt: skip
    return {
        "id": info.id,
        "type": info.type_name,
        "name": info.name,
        "key_size": info.key_size,
        "value_size": info.value_size,
        "max_entries": info.max_entries,
        "entries": _entries(info, count_up_to),
        "pinned": pins,
    }


def _entries(info: MapInfo, count_up_to: int | None) -> int | None:
    """The number of entries: arrays know it, hash maps and tries are counted when small enough."""
    if info.type in (MapType.ARRAY, MapType.PERCPU_ARRAY):
        return info.max_entries
    countable = (MapType.HASH, MapType.LRU_HASH, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE)
    if info.type not in countable or (count_up_to is not None and info.max_entries > count_up_to):
        return None
    try:
        with BpfMap.from_id(info.id, readonly=True, btf=False) as m:  # counting needs no types
            return len(m)
    except (BpfError, OSError):  # gone, not ours to read, or no class for it
        return None


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
