"""``pybpfmaps load-object OBJ``: load a clang-built BPF object as ``BpfObject`` does — variables
set and maps resized first (``--set``, ``--max-entries``), programs attached where their sections
say (``--attach``) — and pin what it made under a directory (``--pin DIR``: ``DIR/maps/NAME``,
``DIR/programs/NAME``, ``DIR/links/NAME``), so it outlives the command. Without ``--pin`` the
object is loaded and gone at exit: a check that this kernel takes it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pybpfmaps.cli import output, text
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.objects.bpf_object import BpfObject


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``load-object``."""
    command.add_argument("object", metavar="OBJ", help="a BPF object file (clang -target bpf -g)")
    command.add_argument("--pin", metavar="DIR", help="pin maps, programs and links under DIR (a bpf filesystem)")
    command.add_argument("--set", action="append", default=[], metavar="VAR=VALUE",
                         help="set a global variable before loading (.rodata constants too); repeatable")  # fmt: skip
    command.add_argument("--max-entries", action="append", default=[], metavar="MAP=N",
                         help="resize a map before loading; repeatable")  # fmt: skip
    command.add_argument("--attach", action="store_true",
                         help="attach the programs whose sections say where (tracepoints, kprobes...)")  # fmt: skip
    command.add_argument("--pin-root", metavar="DIR", help="where LIBBPF_PIN_BY_NAME maps go (default /sys/fs/bpf)")
    output.add_json_options(command, "one object: the maps, programs and links made", many=False)


def cmd_load_object(args: argparse.Namespace) -> int:
    if args.attach and not args.pin:
        raise BpfArgumentError("--attach needs --pin DIR: the links would end when this command exits")
    obj = BpfObject.open(args.object, **({"pin_root": args.pin_root} if args.pin_root else {}))
    for setting in args.max_entries:
        name, value = _pair(setting, "--max-entries", "MAP=N")
        if name not in obj.map_specs:
            raise BpfArgumentError(
                f"--max-entries {setting}: the object has no map {name!r} ({', '.join(obj.map_specs)})"
            )
        obj.map_specs[name].max_entries = _int(value, setting)
    for setting in args.set:
        _set_variable(obj, *_pair(setting, "--set", "VAR=VALUE"))
    with obj.load():
        if args.attach:
            obj.attach_all()
        pins = _pin_all(obj, Path(args.pin)) if args.pin else {}
        _report(obj, pins, args)
    if not args.pin:
        print("pybpfmaps: loaded, and unloaded at exit (--pin DIR keeps it)", file=sys.stderr)
    return 0


def _pair(setting: str, option: str, form: str) -> tuple[str, str]:
    name, equals, value = setting.partition("=")
    if not equals or not name:
        raise BpfArgumentError(f"{option} takes {form}, got {setting!r}")
    return name.strip(), value.strip()


def _int(value: str, setting: str) -> int:
    try:
        return int(value, 0)
    except ValueError:
        raise BpfArgumentError(f"--max-entries {setting}: {value!r} is not a number") from None


def _set_variable(obj: BpfObject, name: str, value: str) -> None:
    """Set *name* in the data section that has it (``.rodata.NAME=...`` to say which)."""
    section, dot, bare = name.rpartition(".") if name.startswith(".") else ("", "", name)
    sections = [section] if dot else [s.section for s in obj.map_specs.values() if s.holds_globals]
    for each in sections:
        variables = obj.variables(each)
        if bare in variables:
            variables[bare] = text.parse(value, variables.codec(bare), "value")
            return
    raise BpfArgumentError(f"--set {name}: no global variable {bare!r} in {', '.join(sections) or 'the object'}")


def _pin_all(obj: BpfObject, directory: Path) -> dict[str, str]:
    """Pin every map, program and link under *directory*; their paths by ``kind/name``."""
    pins: dict[str, str] = {}
    made: list[Any] = []
    try:
        for kind, things in (("maps", obj.maps), ("programs", obj.programs), ("links", obj.links)):
            if not things:
                continue
            (directory / kind).mkdir(parents=True, exist_ok=True)
            for name, thing in things.items():
                pinned: str | None = getattr(thing, "pin_path", None) if kind == "maps" else None
                if pinned:
                    pins[f"maps/{name}"] = pinned  # pinned by name already
                    continue
                path = directory / kind / name.replace(".", "_")  # as bpftool names them
                thing.pin(path)
                made.append(path)
                pins[f"{kind}/{name}"] = str(path)
    except BaseException:
        for path in made:
            os.unlink(path)
        raise
    return pins


def _report(obj: BpfObject, pins: dict[str, str], args: argparse.Namespace) -> None:
    maps = [
        {"name": n, "id": m.id, "type": m.info.type_name, "pin": pins.get(f"maps/{n}")} for n, m in obj.maps.items()
    ]
    programs = [
        {"name": n, "id": p.id, "type": p.prog_type.name.lower(), "pin": pins.get(f"programs/{n}"),
         "link": pins.get(f"links/{n}", "attached") if n in obj.links else None}
        for n, p in obj.programs.items()
    ]  # fmt: skip
    mode = output.json_mode(args)
    if mode is not None:
        output.write_one({"name": obj.spec.name, "maps": maps, "programs": programs}, mode)
        return
    output.print_table(("map", "id", "type", "pin"), [_row(m, ("name", "id", "type", "pin")) for m in maps])
    print()
    output.print_table(("program", "id", "type", "pin", "link"),
                       [_row(p, ("name", "id", "type", "pin", "link")) for p in programs])  # fmt: skip


def _row(found: dict[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("-" if found[column] is None else str(found[column]) for column in columns)
