"""How commands print: JSON as lines, as one array or pretty-printed, and tables (rich's on a
terminal when it is installed, plain columns otherwise)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO


def add_json_options(command: argparse.ArgumentParser, what: str, *, many: bool) -> None:
    """``--json`` (and, for commands that print many objects, ``--json-array``) and ``-p/--pretty``."""
    formats = command.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help=f"JSON: {what}")
    if many:
        formats.add_argument("--json-array", action="store_true", help="JSON: one array of them all")
    formats.add_argument("-p", "--pretty", action="store_true", help="JSON, indented for people" + (
        " (one array)" if many else ""))  # fmt: skip


def json_mode(args: argparse.Namespace) -> str | None:
    """``"lines"``, ``"array"``, ``"pretty"``, or ``None`` for text."""
    if getattr(args, "pretty", False):
        return "pretty"
    if getattr(args, "json_array", False):
        return "array"
    return "lines" if getattr(args, "json", False) else None


def write_json(objects: Iterable[Any], mode: str, out: TextIO | None = None) -> None:
    """*objects* in *mode*: a line each, or one array (indented when pretty), written as they come."""
    out = out or sys.stdout
    if mode == "lines":
        for each in objects:
            out.write(json.dumps(each) + "\n")
        return
    indent = 2 if mode == "pretty" else None
    out.write("[")
    first = True
    for each in objects:
        text = json.dumps(each, indent=indent)
        if indent:
            text = "\n".join("  " + line for line in text.splitlines())
        out.write(("" if first else ",") + ("\n" if indent else "" if first else " ") + text)
        first = False
    out.write(("\n]" if indent and not first else "]") + "\n")


def write_one(obj: Any, mode: str, out: TextIO | None = None) -> None:
    """One JSON object: a line, or indented."""
    (out or sys.stdout).write(json.dumps(obj, indent=2 if mode == "pretty" else None) + "\n")


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]], out: TextIO | None = None) -> None:
    """Columns under *header*: rich's table on a terminal when rich is installed, else plain
    columns two spaces apart (what scripts and pipes get)."""
    out = out or sys.stdout
    if out.isatty():
        try:
            from rich.console import Console  # noqa: PLC0415 - optional, and slow to import
            from rich.table import Table  # noqa: PLC0415
        except ImportError:
            pass
        else:
            table = Table(*header, box=None, header_style="bold", pad_edge=False)
            for row in rows:
                table.add_row(*row)
            Console(file=out, soft_wrap=True).print(table)
            return
    for line in plain_table(header, rows):
        out.write(line + "\n")


def plain_table(
    header: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[bool, ...] | None = None
) -> list[str]:
    """The lines of columns two spaces apart, each as wide as its widest cell; the columns marked in
    *right* aligned right (numbers), the others left."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    aligned = right or (False,) * len(header)
    return [
        "  ".join(
            cell.rjust(width) if to_right else cell.ljust(width)
            for cell, width, to_right in zip(row, widths, aligned, strict=True)
        ).rstrip()
        for row in [header, *rows]
    ]
