"""``Fd``: an owned file descriptor that closes once, never under a thread still using it.

A thread about to pass the number to a syscall ``acquire()``s it and ``release()``s it after;
``close()`` from another thread meanwhile only marks it closed, and the last user closes the
number. So a syscall never runs on a number that was closed and reused for another file. The
counting uses list appends and pops, which are atomic, so no lock is held and ``fork()`` cannot
inherit one held; the child forgets the parent's in-flight users.
"""

from __future__ import annotations

import os
import warnings
import weakref


class Fd:
    """Owns one descriptor. ``close()`` is idempotent; collection while open closes it with a ``ResourceWarning``."""

    __slots__ = ("__weakref__", "_closing", "_number", "_owned", "_users", "label")

    def __init__(self, number: int, label: str) -> None:
        self._number = number
        self.label = label
        self._owned = [number]  # popped exactly once, by whoever closes it
        self._users: list[None] = []  # one entry per syscall in flight
        self._closing = False
        _live.add(self)

    @property
    def closed(self) -> bool:
        return self._closing

    def fileno(self) -> int:
        """The descriptor number; ``-1`` once closed."""
        return -1 if self._closing else self._number

    def acquire(self) -> int:
        """The number, kept open until ``release()``; ``-1`` (and nothing to release) once closed."""
        users = self._users
        users.append(None)
        if self._closing:
            self.release()
            return -1
        return self._number

    def release(self) -> None:
        """End a use begun by ``acquire()``; closes the number if ``close()`` came meanwhile."""
        users = self._users
        users.pop()
        if self._closing and not users:
            self._close_now()

    def close(self) -> None:
        """Close now, or, while other threads use the number, as soon as the last one is done."""
        self._closing = True
        if not self._users:
            self._close_now()

    def _close_now(self) -> None:
        try:
            number = self._owned.pop()
        except IndexError:
            return  # closed by another thread
        os.close(number)

    def dup(self, label: str | None = None) -> Fd:
        """A new, independently owned descriptor for the same object (close-on-exec)."""
        number = self.acquire()
        if number < 0:
            raise ValueError(f"dup of closed {self.label}")
        try:
            return Fd(os.dup(number), self.label if label is None else label)
        finally:
            self.release()

    def __del__(self) -> None:
        if self._owned:
            number = self._owned[0]
            self._closing = True
            self._users.clear()
            self._close_now()  # first: the warning may be turned into an exception
            warnings.warn(f"unclosed {self.label} (fd {number})", ResourceWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"<Fd {self.fileno()} {self.label}>"


_live: weakref.WeakSet[Fd] = weakref.WeakSet()


def _forget_users_after_fork() -> None:
    """In a forked child only the forking thread exists: uses in flight in the parent's other threads are not."""
    for fd in list(_live):
        fd._users.clear()
        if fd._closing:
            fd._close_now()


os.register_at_fork(after_in_child=_forget_users_after_fork)


def read_fdinfo(number: int) -> dict[str, str]:
    """The ``/proc/self/fdinfo/<fd>`` fields of a descriptor, e.g. ``{"frozen": "1", "map_id": "7"}``."""
    fields: dict[str, str] = {}
    with open(f"/proc/self/fdinfo/{number}", "rb") as raw:  # bytes: no codec lookup, which may import
        text = raw.read().decode(errors="replace")
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields
