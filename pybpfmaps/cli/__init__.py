"""The ``pybpfmaps`` command: find, read and change any BPF map on the system (``python -m pybpfmaps``).

Errors are one line on stderr and a non-zero exit code (1; 2 for bad usage); ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from pybpfmaps import __version__
from pybpfmaps.cli import (
    create,
    describe,
    events,
    histogram,
    inspect_object,
    load_object,
    output,
    shell,
    subcommands,
    watch,
)
from pybpfmaps.errors import BpfError

MAP_HELP = "a map id, a pinned path, or a map name"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="pybpfmaps",
        description="Find, read and change Linux BPF maps. MAP is an id, a pinned path or a name; KEY and VALUE "
        "are integers (42, 0x2a), IP addresses or networks, interface names, strings, hex:0a000001 bytes, or "
        'JSON (anything starting with {, [ or "; \'""\' is the empty string).',
    )
    top.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    top.add_argument("--version", action="version", version=f"pybpfmaps {__version__}")
    anywhere = argparse.ArgumentParser(add_help=False)  # --debug after the command too
    anywhere.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace], int], description: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=description, description=description, parents=[anywhere])
        command.set_defaults(run=run)
        return command

    listing = add("list", describe.cmd_list, "list every map: id, type, name, sizes, entries, pins")
    output.add_json_options(listing, "one object per map, a line each", many=True)
    show = add("show", describe.cmd_show, "describe one map: types, flags, batch support, memlock, holders")
    show.add_argument("map", help=MAP_HELP)
    output.add_json_options(show, "one object", many=False)
    made = add("create", create.cmd_create, "create a map (pinned with --pin, else gone when the command ends)")
    create.add_arguments(made)
    dump = add("dump", subcommands.cmd_dump, "print every key and value (read in batches)")
    dump.add_argument("map", help=MAP_HELP)
    output.add_json_options(dump, '{"key": ..., "value": ...} a line each, as load reads them', many=True)
    get = add("get", subcommands.cmd_get, "print the value of a key")
    get.add_argument("map", help=MAP_HELP)
    get.add_argument("key")
    output.add_json_options(get, "the value", many=False)
    put = add("set", subcommands.cmd_set, "write the value of a key")
    put.add_argument("map", help=MAP_HELP)
    put.add_argument("key")
    put.add_argument("value")
    mode = put.add_mutually_exclusive_group()
    mode.add_argument("--noexist", action="store_true", help="only create: fail if the key is there")
    mode.add_argument("--exist", action="store_true", help="only replace: fail if the key is not there")
    delete = add("delete", subcommands.cmd_delete, "delete a key")
    delete.add_argument("map", help=MAP_HELP)
    delete.add_argument("key")
    load = add("load", subcommands.cmd_load, "write the entries of a JSON-lines or CSV file (update_many)")
    load.add_argument("map", help=MAP_HELP)
    load.add_argument("file", help='JSON lines ({"key": ..., "value": ...} or [key, value]) or CSV (key,value)')
    load.add_argument("--format", choices=["jsonl", "csv"], help="default: by the file's extension (.csv), else jsonl")
    clear = add("clear", subcommands.cmd_clear, "delete every key")
    clear.add_argument("map", help=MAP_HELP)
    pin = add("pin", subcommands.cmd_pin, "pin a map at a path on a bpf filesystem")
    pin.add_argument("map", help=MAP_HELP)
    pin.add_argument("path")
    unpin = add("unpin", subcommands.cmd_unpin, "remove a pin")
    unpin.add_argument("path")
    freeze = add("freeze", subcommands.cmd_freeze, "forbid writes from user space, for good")
    freeze.add_argument("map", help=MAP_HELP)
    stream = add("events", events.cmd_events, "print the records of a ring buffer or perf event array as they arrive")
    stream.add_argument("map", help=MAP_HELP)
    stream.add_argument("--json", action="store_true", help="one JSON value per record")
    stream.add_argument("--type", metavar="NAME", help='decode records as this type of the map\'s BTF ("struct event")')
    stream.add_argument("--count", type=int, metavar="N", help="stop after N records")
    stream.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this long")
    drawn = add("hist", histogram.cmd_hist, "draw the log2 or linear histograms a map holds, as BCC's tools do")
    drawn.add_argument("map", help=MAP_HELP)
    histogram.add_arguments(drawn)
    live = add("watch", watch.cmd_watch, "a live view of a map: the top keys by value or rate, or its histograms")
    live.add_argument("map", help=MAP_HELP)
    watch.add_arguments(live)
    inspected = add("inspect", inspect_object.cmd_inspect, "the maps and programs of a BPF object file, unloaded")
    inspect_object.add_arguments(inspected)
    loaded = add("load-object", load_object.cmd_load_object, "load a BPF object file: its maps, programs, links")
    load_object.add_arguments(loaded)
    interactive = add("shell", shell.cmd_shell, "a Python prompt with the maps opened")
    shell.add_arguments(interactive, MAP_HELP)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `pybpfmaps dump m | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error as Python exits
        return 0
    except (BpfError, OSError) as exc:
        if args.debug:
            raise
        message = str(exc).replace("open it with readonly=True", "reading commands (show, dump, get) work")
        print(f"pybpfmaps: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours, not the user's input: still one line, with the way to see more
        if args.debug:
            raise
        print(f"pybpfmaps: error: {type(exc).__name__}: {exc} (--debug shows the traceback)", file=sys.stderr)
        return 1
    return code
