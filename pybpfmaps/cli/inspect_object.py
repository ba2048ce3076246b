"""``pybpfmaps inspect OBJ``: the maps, programs and global variables (with their types and initial
values) a clang-built BPF object declares, read from the file without loading anything (as text
tables, or ``--json``)."""

from __future__ import annotations

import argparse
from typing import Any

from pybpfmaps.cli import output, text
from pybpfmaps.flags import MapFlags
from pybpfmaps.objects import MapSpec, ProgramSpec
from pybpfmaps.objects.bpf_object import BpfObject


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``inspect``."""
    command.add_argument("object", metavar="OBJ", help="a BPF object file (clang -target bpf -g)")
    output.add_json_options(command, "one object: the maps and programs", many=False)


def cmd_inspect(args: argparse.Namespace) -> int:
    obj = BpfObject.open(args.object)
    spec = obj.spec
    types = spec.btf
    variables = _variables(obj)
    mode = output.json_mode(args)
    if mode is not None:
        output.write_one(
            {"name": spec.name, "license": spec.license, "maps": [_map_json(m, types) for m in spec.maps.values()],
             "programs": [_program_json(p) for p in spec.programs.values()],
             "variables": [dict(zip(_VARIABLE_COLUMNS, row, strict=True)) for row in variables]},
            mode,
        )  # fmt: skip
        return 0
    print(f"{spec.name}: {len(spec.maps)} maps, {len(spec.programs)} programs, license {spec.license or '-'}")
    print()
    header = ("map", "type", "key", "value", "max", "flags", "section")
    output.print_table(header, [_map_row(m, types) for m in spec.maps.values()])
    print()
    output.print_table(
        ("program", "section", "type", "attach type", "instructions"),
        [(p.name, p.section, p.type_name, _attach(p), str(len(p.instructions) // 8)) for p in spec.programs.values()],
    )
    if variables:
        print()
        output.print_table(_VARIABLE_COLUMNS, variables)
    return 0


_VARIABLE_COLUMNS = ("variable", "section", "type", "size", "initial")


def _variables(obj: BpfObject) -> list[tuple[str, ...]]:
    """Each global variable: its name, section, type, size and initial value (as the CLI writes values)."""
    rows: list[tuple[str, ...]] = []
    for spec in obj.map_specs.values():
        if not spec.holds_globals:
            rows += [(v.name, spec.section, "extern", str(v.size), "-") for v in spec.variables]
            continue
        variables = obj.variables(spec.section)
        for variable in spec.variables:
            codec = variables.codec(variable.name)
            rows.append((variable.name, spec.section, codec.name, str(variable.size),
                         text.show(variables[variable.name], codec)))  # fmt: skip
    return rows


def _type_text(types: Any, type_id: int, size: int) -> str:
    if not type_id or types is None:
        return f"{size} bytes"
    try:
        return f"{types.codec(type_id).name} ({size})"
    except Exception:  # a type pybpfmaps cannot turn into a codec still has a size
        return f"{size} bytes"


def _flag_names(flags: int) -> str:
    names = [flag.name.lower() for flag in MapFlags if flag.value and flag.name and flags & flag.value == flag.value]
    return ",".join(names) or "-"


def _map_row(spec: MapSpec, types: Any) -> tuple[str, ...]:
    key = _type_text(types, spec.key_type, spec.key_size)
    value = _type_text(types, spec.value_type, spec.value_size)
    return (spec.name, spec.type_name, key, value, str(spec.max_entries), _flag_names(int(spec.flags)), spec.section)


def _map_json(spec: MapSpec, types: Any) -> dict[str, Any]:
    return {
        "name": spec.name, "type": spec.type_name, "key_size": spec.key_size, "value_size": spec.value_size,
        "key": _type_text(types, spec.key_type, spec.key_size),
        "value": _type_text(types, spec.value_type, spec.value_size),
        "max_entries": spec.max_entries, "flags": int(spec.flags), "pinning": spec.pinning, "section": spec.section,
        "inner": None if spec.inner is None else _map_json(spec.inner, types),
    }  # fmt: skip


def _attach(spec: ProgramSpec) -> str:
    return spec.kind.attach_type.name.lower() if spec.kind.attach_type is not None else "-"


def _program_json(spec: ProgramSpec) -> dict[str, Any]:
    return {"name": spec.name, "section": spec.section, "type": spec.type_name, "attach_type": _attach(spec),
            "target": spec.kind.target, "instructions": len(spec.instructions) // 8}  # fmt: skip
