"""Progress of a long ``load`` or ``dump`` on stderr: rich's bar on a terminal when rich is
installed, a line redrawn in place on a terminal otherwise, a line per step off a terminal."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class Progress:
    """Reports *done* out of *total* (``None``: a count without an end). Off a terminal it is quiet
    for totals below *quiet_below*; *enabled* overrides when it shows at all."""

    def __init__(
        self, total: int | None, label: str, stream: TextIO | None = None, quiet_below: int = 100_000,
        enabled: bool | None = None, unit: str = "entries",
    ) -> None:  # fmt: skip
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        if enabled is None:
            enabled = self.terminal or (total is not None and total >= quiet_below)
        self.enabled = enabled
        self._rich: Any = None
        if self.enabled and self.terminal:
            self._rich = _rich_progress(self.stream, label, total, unit)

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            progress, task = self._rich
            progress.update(task, completed=done)
            return
        if self.total is None:
            line = f"{self.label}: {done:,} {self.unit}"
        else:
            share = done / self.total if self.total else 1.0
            bar = "#" * int(30 * share) if self.terminal else ""
            line = (f"{self.label} [{bar:<30}] " if self.terminal else f"{self.label}: ") + (
                f"{done}/{self.total} ({share:.0%})"
            )
        self.stream.write(f"\r{line}" if self.terminal else f"{line}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._rich is not None:
            self._rich[0].stop()
        elif self.enabled and self.terminal:
            self.stream.write("\n")
            self.stream.flush()


def _rich_progress(stream: TextIO, label: str, total: int | None, unit: str) -> tuple[Any, Any] | None:
    try:
        from rich.console import Console  # noqa: PLC0415 - optional, and slow to import
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn  # noqa: PLC0415
    except ImportError:
        return None
    columns: list[Any] = [TextColumn("{task.description}")]
    if total is None:
        columns += [SpinnerColumn(), TextColumn(f"{{task.completed:,}} {unit}")]
    else:
        columns += [BarColumn(), MofNCompleteColumn()]
    progress = Progress(*columns, console=Console(file=stream), transient=False)
    progress.start()
    return progress, progress.add_task(label, total=total)
