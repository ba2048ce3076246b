"""Ctrl-C during bulk operations: recorded while they run, raised where their account is exact.

A KeyboardInterrupt raised between a batch syscall's return and the line that adds its count to
the total would leave the caller unable to know what was written; one raised between taking the
map's fd and the ``try`` that gives it back would keep the fd open past ``close()``.
``deferred_interrupts()`` therefore installs, for the whole of a bulk operation, a SIGINT handler
that only records the signal: nothing can be raised asynchronously while it is installed. The
operation calls ``Guard.check()`` where its account is complete (after each chunk), which raises
the recorded KeyboardInterrupt. The handler is installed and restored by single calls, and a
signal recorded when the operation ends is raised after the user's handler is back in place.

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
    """Where a Ctrl-C recorded during a bulk operation may be raised: ``check()``."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = False

    def check(self) -> None:
        """Raise the KeyboardInterrupt recorded so far, if any (call it where the account is exact)."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.pending = True


@contextmanager
def deferred_interrupts() -> Iterator[Guard]:
    """A ``Guard`` for a bulk operation: SIGINT is recorded, not raised, until ``check()`` (where this
    process can do that: the main thread, with Python's default handler in place)."""
    guard = Guard()
    installed = False
    if threading.current_thread() is threading.main_thread() and _default_handler():
        try:
            installed = signal.signal(signal.SIGINT, guard._handle) is not None  # one call: never half done
        except ValueError:  # not the main interpreter: nothing installed
            installed = False
    try:
        yield guard
    finally:
        if installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # the user's handler, back first...
            if guard.pending:  # ... then the Ctrl-C that arrived since the last check, not lost
                signal.raise_signal(signal.SIGINT)


def _default_handler() -> bool:
    return signal.getsignal(signal.SIGINT) is signal.default_int_handler
