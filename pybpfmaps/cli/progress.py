"""Progress of a long ``load`` on stderr: a bar on a terminal, a line per step otherwise."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Reports *done* out of *total*; quiet for small totals off a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, quiet_below: int = 100_000) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.enabled = self.terminal or total >= quiet_below

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        share = done / self.total if self.total else 1.0
        if self.terminal:
            bar = "#" * int(30 * share)
            self.stream.write(f"\r{self.label} [{bar:<30}] {done}/{self.total} ({share:.0%})")
        else:
            self.stream.write(f"{self.label}: {done}/{self.total} ({share:.0%})\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.terminal:
            self.stream.write("\n")
            self.stream.flush()
