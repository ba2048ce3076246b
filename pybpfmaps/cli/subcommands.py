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

from pybpfmaps.cli import loading, output, text
from pybpfmaps.cli.progress import Progress
from pybpfmaps.cli.resolve import open_any, open_map
from pybpfmaps.errors import (
    BatchInterrupted,
    BatchUpdateError,
    BpfArgumentError,
    BpfSyscallError,
    KeyExistsError,
    KeyNotFoundError,
    MapFullError,
    NotSupportedError,
)
from pybpfmaps.flags import UpdateFlags
from pybpfmaps.maps import (
    BpfMap,
    MutableBpfMap,
    QueueMap,
    StackMap,
)

DUMP_LINES = 4096
"""Lines ``dump`` prints at a time."""


def cmd_dump(args: argparse.Namespace) -> int:
    """Print every element as it is read, a chunk of lines at a time: the first lines come at once
    and memory stays bounded. The table's key column is as wide as the widest key of the first chunk.
    With the output going to a file and stderr a terminal, a count of what was read shows there."""
    out = sys.stdout
    mode = output.json_mode(args)
    with open_any(args.map, readonly=True) as any_map:
        if isinstance(any_map, QueueMap | StackMap):
            return _dump_next(any_map, mode)
    with open_map(args.map, readonly=True, command="dump") as m:
        items = _listed(m)
        if mode is not None:
            key_text, value_text = text.json_text(m.key_codec), text.json_text(m.value_codec)
        else:
            key_text, value_text = text.show_text(m.key_codec), text.show_text(m.value_codec)
        progress = Progress(None, f"dump of {m.info.label}", enabled=sys.stderr.isatty() and not out.isatty())
        total = 0
        width = 0
        if mode in ("array", "pretty"):
            out.write("[")
        while chunk := list(itertools.islice(items, DUMP_LINES)):
            if mode is not None:  # the JSON of {"key": ..., "value": ...}, as json.dumps writes it
                lines = [f'{{"key": {key_text(key)}, "value": {value_text(value)}}}' for key, value in chunk]
                if mode == "pretty":
                    lines = ["\n".join("  " + part for part in json.dumps(json.loads(line), indent=2).splitlines())
                             for line in lines]  # fmt: skip
                if mode in ("array", "pretty"):
                    separator = ",\n" if mode == "pretty" else ", "
                    out.write(("" if not total else separator) + ("\n" if mode == "pretty" and not total else ""))
                    out.write(separator.join(lines))
                else:
                    out.write("\n".join(lines) + "\n")
            else:
                rows = [(key_text(key), value_text(value)) for key, value in chunk]
                if not width:
                    width = max(3, *(len(key) for key, _ in rows))
                    out.write(f"{'key':<{width}}  value\n")
                out.write("\n".join(f"{key:<{width}}  {value}" for key, value in rows) + "\n")
            total += len(chunk)
            out.flush()
            progress.update(total)
        progress.finish()
    if mode in ("array", "pretty"):
        out.write(("\n]" if mode == "pretty" and total else "]") + "\n")
    elif mode is None:
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


def _dump_next(m: QueueMap[Any] | StackMap[Any], mode: str | None) -> int:
    """A queue or stack shows the value ``pop()`` would take: reading past it takes values out."""
    value = m.peek(None)
    kind = m.info.type_name
    if mode is not None:
        output.write_one({"next": None if value is None else text.to_json(m.value_codec, value)}, mode)
    elif value is None:
        print(f"(an empty {kind})")
    else:
        print(f"next  {text.show(value, m.value_codec)}")
        print(f"(a {kind} shows only the value pop() takes next: reading further takes values out)")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    with open_map(args.map, readonly=True, command="get") as m, _key_as_typed(args.key):
        value = m[text.parse(args.key, m.key_codec, "key")]
        mode = output.json_mode(args)
        if mode is not None:
            output.write_one(text.to_json(m.value_codec, value), mode)
        else:
            print(text.show(value, m.value_codec))
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
