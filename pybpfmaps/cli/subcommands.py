"""The subcommands of ``pybpfmaps``: each takes the parsed arguments, prints, and returns an exit code."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pybpfmaps.cli import loading, text
from pybpfmaps.cli.progress import Progress
from pybpfmaps.cli.resolve import open_any, open_map
from pybpfmaps.codecs.aggregates import untyped_parts
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import (
    BatchInterrupted,
    BatchUpdateError,
    BpfArgumentError,
    BpfError,
    BpfSyscallError,
    KeyExistsError,
    KeyNotFoundError,
    MapFullError,
    NotSupportedError,
)
from pybpfmaps.flags import MapType, UpdateFlags
from pybpfmaps.maps import (
    BpfMap,
    GenericMap,
    KeylessMap,
    MapCore,
    MapInfo,
    MutableBpfMap,
    QueueMap,
    StackMap,
    list_maps,
)
from pybpfmaps.maps.info import pinned_maps

DUMP_LINES = 4096
"""Lines ``dump`` prints at a time."""
CHEAP_COUNT = 100_000  # `list` counts the entries of hash maps up to this capacity


def cmd_list(args: argparse.Namespace) -> int:
    pins = pinned_maps()
    rows = [_summary(info, pins.get(info.id, []), count_up_to=CHEAP_COUNT) for info in list_maps()]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    columns = ("id", "type", "name", "key_size", "value_size", "max_entries", "entries", "pinned")
    header = ("id", "type", "name", "key", "value", "max", "entries", "pinned")
    table = [header] + [tuple(_cell(row[name]) for name in columns) for row in rows]
    _print_table(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_any(args.map) as m:  # read-write, so that the batch probes can tell what works
        info, details = m.info, _details(m)
    row = _summary(info, pinned_maps().get(info.id, []), count_up_to=None)
    row.update(frozen=info.frozen, flags=str(info.flags), btf_id=info.btf_id, **details)
    if args.json:
        print(json.dumps(row))
    else:
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


def cmd_dump(args: argparse.Namespace) -> int:
    """Print every element as it is read, a chunk of lines at a time: the first lines come at once
    and memory stays bounded. The table's key column is as wide as the widest key of the first chunk."""
    out = sys.stdout
    with open_any(args.map, readonly=True) as any_map:
        if isinstance(any_map, QueueMap | StackMap):
            return _dump_next(any_map, args.json)
    with open_map(args.map, readonly=True, command="dump") as m:
        items = _listed(m)
        if args.json:
            key_text, value_text = text.json_text(m.key_codec), text.json_text(m.value_codec)
        else:
            key_text, value_text = text.show_text(m.key_codec), text.show_text(m.value_codec)
        total = 0
        width = 0
        while chunk := list(itertools.islice(items, DUMP_LINES)):
            total += len(chunk)
            if args.json:  # the JSON of {"key": ..., "value": ...}, as json.dumps writes it
                lines = [f'{{"key": {key_text(key)}, "value": {value_text(value)}}}' for key, value in chunk]
            else:
                rows = [(key_text(key), value_text(value)) for key, value in chunk]
                if not width:
                    width = max(3, *(len(key) for key, _ in rows))
                    out.write(f"{'key':<{width}}  value\n")
                lines = [f"{key:<{width}}  {value}" for key, value in rows]
            out.write("\n".join(lines) + "\n")
            out.flush()
    if not args.json:
        if not width:
            out.write("key  value\n")
        out.write(f"({total} {'entry' if total == 1 else 'entries'})\n")
    return 0


def _listed(m: BpfMap[Any, Any]) -> Iterator[tuple[Any, Any]]:
    """The map's elements; a map type the kernel does not list to user space (local storage, cgroup
    arrays, ring buffers, ...) says so in one line, before anything is printed."""
    items = iter(m.items())
    try:
        first = next(items, None)
    except NotSupportedError as exc:
        raise BpfArgumentError(
            f"dump: the kernel does not list {m.info.type_name} maps to user space ({exc.strerror})"
        ) from None
    return itertools.chain([first] if first is not None else [], items)


def _dump_next(m: QueueMap[Any] | StackMap[Any], as_json: bool) -> int:
    """A queue or stack shows the value ``pop()`` would take: reading past it takes values out."""
    value = m.peek(None)
    kind = m.info.type_name
    if as_json:
        print(json.dumps({"next": None if value is None else text.to_json(m.value_codec, value)}))
    elif value is None:
        print(f"(an empty {kind})")
    else:
        print(f"next  {text.show(value, m.value_codec)}")
        print(f"(a {kind} shows only the value pop() takes next: reading further takes values out)")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    with open_map(args.map, readonly=True, command="get") as m, _key_as_typed(args.key):
        value = m[text.parse(args.key, m.key_codec, "key")]
        print(json.dumps(text.to_json(m.value_codec, value)) if args.json else text.show(value, m.value_codec))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    flags = UpdateFlags.NOEXIST if args.noexist else UpdateFlags.EXIST if args.exist else UpdateFlags.ANY
    with open_map(args.map, command="set") as m, _key_as_typed(args.key):
        m.put(text.parse(args.key, m.key_codec, "key"), text.parse(args.value, m.value_codec, "value"), flags)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with open_map(args.map, command="delete") as m, _key_as_typed(args.key):
        del _deletable(m, "delete")[text.parse(args.key, m.key_codec, "key")]
    return 0


_KEY_ERRORS: dict[type[BpfSyscallError], str] = {
    KeyNotFoundError: "key not found",
    KeyExistsError: "key already exists",
    MapFullError: "map full, no room for a new key",
}


@contextlib.contextmanager
def _key_as_typed(typed: str) -> Iterator[None]:
    """Errors about a key name it as the user typed it (``10.0.0.9``), not as Python shows the value."""
    try:
        yield
    except (KeyNotFoundError, KeyExistsError, MapFullError) as exc:
        message = f"{_KEY_ERRORS[type(exc)]}: {typed}"
        raise type(exc)(exc.errno, message, command=exc.command, map_label=exc.map_label) from None


def cmd_clear(args: argparse.Namespace) -> int:
    with open_map(args.map, command="clear") as m:
        _deletable(m, "clear").clear()
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Read and check the whole file, then write it a chunk at a time: a bad line is reported before
    anything is written (``loading``); the reading and the writing each show progress on stderr."""
    path = Path(args.file)
    with open_map(args.map, command="load") as m, loading.gc_paused():
        chunks = loading.read_file(path, args.format, m.key_codec, m.value_codec)
        total = sum(map(len, chunks))
        progress = Progress(total, f"loading {args.file}")
        applied = 0
        try:
            for chunk in chunks:
                keys = m.key_codec.unpack_many(chunk.keys, len(chunk))
                values = m.value_codec.unpack_many(chunk.values, len(chunk))
                applied += m.update_many(keys, values)
                progress.update(applied)
        except BatchInterrupted as exc:
            progress.finish()
            done = applied + exc.applied
            last = f" (up to line {loading.line_of(chunks, done - 1)})" if done else ""
            print(f"interrupted: {done} of {total} entries were applied{last}", file=sys.stderr)
            return 130
        except BatchUpdateError as exc:
            progress.finish()
            failed = applied + exc.applied
            raise BpfArgumentError(
                f"{args.file}:{loading.line_of(chunks, failed)}: {exc.__cause__}; {failed} of "
                f"{total} entries were applied (the lines before it)"
            ) from None
        progress.finish()
    print(f"loaded {applied} entries from {args.file} into {args.map}")
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    with open_any(args.map) as m:
        m.pin(args.path)
    return 0


def cmd_unpin(args: argparse.Namespace) -> int:
    if "/" not in args.path:
        raise BpfArgumentError(f"unpin takes a pinned path, got {args.path!r}")
    with BpfMap.from_pin(args.path, readonly=True) as m:
        m.unpin()
    return 0


def cmd_freeze(args: argparse.Namespace) -> int:
    with open_any(args.map) as m:
        m.freeze()
    return 0


def _deletable(m: BpfMap[Any, Any], what: str) -> MutableBpfMap[Any, Any]:
    if not isinstance(m, MutableBpfMap):
        raise BpfArgumentError(f"{what}: {m.info.type_name} maps cannot delete elements")
    return m


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


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
