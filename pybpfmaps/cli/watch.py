"""``pybpfmaps watch MAP``: a live view of a map, redrawn every ``--interval`` seconds like ``top``.

The keys with the largest values, or the largest rates (the change per second since the last
frame), per-CPU values summed or one column per CPU; or, with ``--hist``, the map's histograms
redrawn. On a terminal the view replaces itself (with ``rich`` when it is installed: ``pip install
pybpfmaps[cli]``) and ``q`` or Ctrl-C quits, leaving the terminal as it was; elsewhere (a pipe, a
log) each frame is printed after the last, under a timestamped title.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import sys
import termios
import time
import tty
from collections.abc import Iterator
from typing import Any, TextIO

import attrs

from pybpfmaps import hist
from pybpfmaps.cli import output, text
from pybpfmaps.cli.resolve import open_map
from pybpfmaps.codecs.percpu_values import PerCpuValues
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.maps import BpfMap

CLEAR = "\x1b[H\x1b[2J"
"""Cursor home, then clear the screen: what every terminal since the VT100 understands."""
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``watch``."""
    command.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="seconds between frames")
    command.add_argument(
        "--sort", choices=["value", "rate", "key"], default="value", help="order of the keys (default: value)"
    )
    command.add_argument("--top", type=int, metavar="N", help="keys shown (default: what fits the terminal, or 20)")
    command.add_argument("--field", help="for struct values: the field to sort by (default: the first number)")
    command.add_argument("--split", action="store_true", help="per-CPU values: a column per CPU instead of the sum")
    command.add_argument("--hist", action="store_true", help="redraw the map's histograms instead of a table")
    command.add_argument("--unit", default="", help="with --hist: what the values measure")
    command.add_argument("--count", type=int, metavar="N", help="stop after N frames")
    command.add_argument("--plain", action="store_true", help="plain text even where rich is installed")


def cmd_watch(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        raise BpfArgumentError(f"watch: --interval is a number of seconds above 0, got {args.interval}")
    out = sys.stdout
    live = out.isatty()
    with open_map(args.map, readonly=True, command="watch") as m, _keys(live) as pressed:
        view = View(m, args)
        screen = _screen(out, live, args.plain)
        frames = 0
        try:
            while args.count is None or frames < args.count:
                screen.show(view.frame())
                frames += 1
                if args.count is not None and frames >= args.count:
                    break
                if pressed(args.interval) in ("q", "Q"):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            screen.close()
    return 0


@attrs.define
class Frame:
    """What one redraw shows: a title, then a table (header and rows) or lines of text."""

    title: str
    header: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = attrs.Factory(list)
    lines: list[str] = attrs.Factory(list)
    right: tuple[bool, ...] = ()  # columns aligned right (numbers)


class View:
    """Reads the map at each frame and keeps the last values, for rates."""

    def __init__(self, m: BpfMap[Any, Any], args: argparse.Namespace) -> None:
        self.map = m
        self.args = args
        self.key_text = text.show_text(m.key_codec)
        self.previous: dict[Any, tuple[float, list[float]]] = {}
        self.cpus = 0

    def frame(self) -> Frame:
        args, now = self.args, time.monotonic()
        items = list(self.map.items())
        title = (
            f"{self.map.info.label}: {len(items)} {'key' if len(items) == 1 else 'keys'}, every {args.interval:g} s"
            f"{'' if args.hist else f', by {args.sort}'} - {time.strftime('%H:%M:%S')}"
        )
        if args.hist:
            return Frame(title, lines=hist.read(dict(items), unit=args.unit).render().splitlines())
        rows: list[tuple[Any, list[float], list[float | None]]] = []
        current: dict[Any, tuple[float, list[float]]] = {}
        for key, value in items:
            numbers = self.numbers(value)
            current[key] = (now, numbers)
            before = self.previous.get(key)
            rates: list[float | None] = [None] * len(numbers)
            if before is not None and now > before[0] and len(before[1]) == len(numbers):
                rates = [(n - b) / (now - before[0]) for n, b in zip(numbers, before[1], strict=True)]
            rows.append((key, numbers, rates))
        self.previous = current
        rows.sort(key=self._order(), reverse=args.sort != "key")
        shown = rows[: self._top()]
        names = [f"cpu{cpu}" for cpu in range(self.cpus)] if args.split and self.cpus else [self._field_name()]
        header = ("key", *names, *(f"{name}/s" for name in names))
        table = [(self.key_text(key), *map(_number, numbers), *map(_number, rates)) for key, numbers, rates in shown]
        if len(rows) > len(shown):
            title += f" (top {len(shown)})"
        return Frame(title, header, table, right=(False, *(True,) * (len(header) - 1)))

    def numbers(self, value: Any) -> list[float]:
        """The numbers of a value that the view shows: one, or one per CPU with ``--split``."""
        if isinstance(value, PerCpuValues):
            self.cpus = len(value)
            per_cpu = [self._number(each) for each in value]
            return per_cpu if self.args.split else [sum(per_cpu)]
        return [self._number(value)]

    def _number(self, value: Any) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if attrs.has(type(value)):
            name = self._field_name(value)
            number = getattr(value, name)
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                return number
            raise BpfArgumentError(f"watch: field {name!r} of {self.map.info.label}'s values is not a number")
        raise BpfArgumentError(
            f"watch: {self.map.info.label}'s values ({self.map.value_codec!r}) are not numbers; "
            "--field picks a number in struct values, --hist draws histograms"
        )

    def _field_name(self, value: Any = None) -> str:
        if self.args.field:
            if value is not None and self.args.field not in attrs.fields_dict(type(value)):
                names = ", ".join(attrs.fields_dict(type(value)))
                raise BpfArgumentError(f"watch: the values have no field {self.args.field!r}; they have {names}")
            return str(self.args.field)
        if value is None:
            return "value"
        for name in attrs.fields_dict(type(value)):
            if isinstance(getattr(value, name), (int, float)) and not isinstance(getattr(value, name), bool):
                return name
        raise BpfArgumentError(f"watch: {self.map.info.label}'s values hold no number: name one with --field")

    def _order(self) -> Any:
        if self.args.sort == "key":
            return lambda row: self.key_text(row[0])
        if self.args.sort == "rate":
            return lambda row: (sum(rate or 0.0 for rate in row[2]), sum(row[1]))
        return lambda row: (sum(row[1]), sum(rate or 0.0 for rate in row[2]))

    def _top(self) -> int:
        if self.args.top is not None:
            return max(1, int(self.args.top))
        if sys.stdout.isatty():
            return max(1, shutil.get_terminal_size().lines - 4)
        return 20


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


class _PlainScreen:
    """Frames as text: redrawn in place on a terminal, one after the other elsewhere."""

    def __init__(self, out: TextIO, live: bool) -> None:
        self.out, self.live = out, live
        if live:
            out.write(HIDE_CURSOR)

    def show(self, frame: Frame) -> None:
        lines = [frame.title, ""]
        if frame.header:
            lines += output.plain_table(frame.header, frame.rows, frame.right)
        lines += frame.lines
        if self.live:
            columns = shutil.get_terminal_size().columns
            self.out.write(CLEAR + "\n".join(line[:columns] for line in lines))
        else:
            self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write("\n" + SHOW_CURSOR)
            self.out.flush()


class _RichScreen:
    """Frames drawn by rich's live display (an optional dependency)."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console  # noqa: PLC0415 - optional, and slow to import
        from rich.live import Live  # noqa: PLC0415

        self.live = Live(console=Console(file=out), auto_refresh=False, screen=True, transient=True)
        self.live.start()

    def show(self, frame: Frame) -> None:
        from rich.console import Group  # noqa: PLC0415
        from rich.table import Table  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415

        parts: list[Any] = [Text(frame.title, style="bold")]
        if frame.header:
            table = Table(box=None, pad_edge=False, header_style="bold")
            for name, right in zip(frame.header, frame.right, strict=True):
                table.add_column(name, justify="right" if right else "left", no_wrap=True)
            for row in frame.rows:
                table.add_row(*row)
            parts.append(table)
        if frame.lines:
            parts.append(Text("\n".join(frame.lines)))
        self.live.update(Group(*parts), refresh=True)

    def close(self) -> None:
        self.live.stop()


def _screen(out: TextIO, live: bool, plain: bool) -> _PlainScreen | _RichScreen:
    if live and not plain:
        try:
            return _RichScreen(out)
        except ImportError:
            pass
    return _PlainScreen(out, live)


@contextlib.contextmanager
def _keys(live: bool) -> Iterator[Any]:
    """A function that waits up to a timeout for a key press on the terminal and returns it (``""``
    if none); the terminal takes keys one at a time meanwhile and is restored at the end."""
    stdin = sys.stdin
    if not live or not stdin.isatty():

        def waited(timeout: float) -> str:
            time.sleep(timeout)
            return ""

        yield waited
        return
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:

        def pressed(timeout: float) -> str:
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                if select.select([fd], [], [], left)[0]:
                    return os.read(fd, 1).decode(errors="replace")
            return ""

        yield pressed
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
