"""Ctrl-C during bulk operations: held back while a syscall and the count of what it did are in flight.

A KeyboardInterrupt raised between a batch syscall's return and the line that adds its count to
the total would leave the caller unable to know what was written. ``deferred_interrupts()``
installs, for the duration of a bulk operation, a SIGINT handler that raises at once outside
critical sections and only records the signal inside one; ``Guard.leave()`` raises it then.

It acts only in the main thread (the only one Python delivers signals to) and only when
Python's default SIGINT handler is installed: a handler of the application's own is left alone.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Guard:
    """Marks critical sections: ``enter()`` before the syscall, ``leave()`` once its result is counted."""

    __slots__ = ("critical", "pending")

    def __init__(self) -> None:
        self.critical = False
        self.pending = False

    def enter(self) -> None:
        self.critical = True

    def leave(self) -> None:
        """End the critical section; raises the KeyboardInterrupt that arrived during it, if any."""
        self.critical = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.critical:
            self.pending = True
        else:
            signal.default_int_handler(signum, frame)


@contextmanager
def deferred_interrupts() -> Iterator[Guard]:
    """A ``Guard`` whose critical sections hold SIGINT back (where this process can do that)."""
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    try:
        previous = signal.signal(signal.SIGINT, guard._handle) if _default_handler() else None
    except ValueError:  # not the main interpreter
        previous = None
    try:
        yield guard
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            if guard.pending:  # arrived in a critical section that ended by an exception: not lost
                signal.raise_signal(signal.SIGINT)


def _default_handler() -> bool:
    return signal.getsignal(signal.SIGINT) is signal.default_int_handler
