"""``Waiter``: blocks until one of some fds is readable, and wakes for good when closed from another thread.

An epoll set plus an eventfd: ``close()`` makes the eventfd readable, so a thread in ``wait()`` (and
every later call) returns at once. The epoll fd is closed by whichever of ``close()`` and the last
waiting thread comes last, so no thread ever waits on a closed or reused number.
"""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Iterator

from pybpfmaps._sys.fd import Fd
from pybpfmaps.errors import ClosedMapError


class Waiter:
    """Waits for ``EPOLLIN`` on registered fds; ``wait()`` says which of them are ready."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._epoll = select.epoll()
        self._wake = Fd(os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK), f"{label}'s wake-up eventfd")
        self._wake_number = self._wake.fileno()
        self._epoll.register(self._wake_number, select.EPOLLIN)
        self._users: list[None] = []  # one entry per thread in wait()
        self._closing = False
        self._owned = [None]  # popped exactly once, by whoever closes the fds

    def fileno(self) -> int:
        """The epoll fd: readable when a registered fd is (for an outer poller or an event loop)."""
        if self._closing:
            raise ClosedMapError(f"{self.label} is closed")
        return self._epoll.fileno()

    def add(self, fd: int) -> None:
        """Watch *fd* for readability (level-triggered)."""
        self._epoll.register(fd, select.EPOLLIN)

    def wait(self, timeout: float | None) -> list[int]:
        """The registered fds readable within *timeout* seconds (``None``: no limit).

        ``[]`` at the timeout, or once closed.
        """
        with self.in_use():
            if self._closing:
                return []
            ready = self._epoll.poll(-1 if timeout is None else max(timeout, 0.0))
            if self._closing:
                return []
            return [fd for fd, _events in ready if fd != self._wake_number]

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Keep the epoll fd open meanwhile (an event loop watching ``fileno()`` holds it this way)."""
        users = self._users
        users.append(None)
        try:
            yield
        finally:
            users.pop()
            if self._closing and not users:
                self._close_now()

    def close(self) -> None:
        """Wake every waiting thread for good; the fds close once the last of them has returned."""
        if self._closing:
            return
        self._closing = True
        os.eventfd_write(self._wake_number, 1)
        if not self._users:
            self._close_now()

    @property
    def closed(self) -> bool:
        return self._closing

    def _close_now(self) -> None:
        try:
            self._owned.pop()
        except IndexError:
            return
        self._epoll.close()
        self._wake.close()
