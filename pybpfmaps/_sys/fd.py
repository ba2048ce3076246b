"""``Fd``: an owned file descriptor that closes once, and warns if it is garbage-collected open."""

from __future__ import annotations

import os
import warnings


class Fd:
    """Owns one descriptor. ``close()`` is idempotent; collection while open closes it with a ``ResourceWarning``."""

    __slots__ = ("_number", "label")

    def __init__(self, number: int, label: str) -> None:
        self._number = number
        self.label = label

    @property
    def closed(self) -> bool:
        return self._number < 0

    def fileno(self) -> int:
        """The descriptor number; ``-1`` once closed."""
        return self._number

    def close(self) -> None:
        number, self._number = self._number, -1
        if number >= 0:
            os.close(number)

    def dup(self, label: str | None = None) -> Fd:
        """A new, independently owned descriptor for the same object (close-on-exec)."""
        return Fd(os.dup(self._number), self.label if label is None else label)

    def __del__(self) -> None:
        number = self._number
        if number >= 0:
            self.close()  # first: the warning may be turned into an exception
            warnings.warn(f"unclosed {self.label} (fd {number})", ResourceWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"<Fd {self._number} {self.label}>"


def read_fdinfo(number: int) -> dict[str, str]:
    """The ``/proc/self/fdinfo/<fd>`` fields of a descriptor, e.g. ``{"frozen": "1", "map_id": "7"}``."""
    fields: dict[str, str] = {}
    with open(f"/proc/self/fdinfo/{number}", encoding="ascii", errors="replace") as text:
        for line in text:
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip()] = value.strip()
    return fields
