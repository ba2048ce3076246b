"""``StreamReader``: what every stream reader offers: ``consume()``, ``poll(timeout)``, iteration, ``async for``.

A subclass reads its buffers in ``_read(copy, limit)`` (under the reader's lock, never after close) and
unmaps them in ``_unmap()``; waiting, closing from another thread and the event loop are here.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from pybpfmaps.errors import BpfArgumentError, ClosedMapError
from pybpfmaps.streams.aio import arecords
from pybpfmaps.streams.waiting import Waiter


class StreamReader(abc.ABC):
    """Records from kernel buffers, oldest first. Thread-safe; ``close()`` from any thread ends a waiting read."""

    def __init__(self, label: str, on_close: Callable[[], object] | None = None) -> None:
        self.label = label
        self._lock = threading.Lock()
        self.waiter = Waiter(label)
        self._on_close = on_close

    @abc.abstractmethod
    def _read(self, copy: bool, limit: int | None) -> list[Any]:
        """The records available now, at most *limit*: decoded copies, or views valid until the next call."""

    @abc.abstractmethod
    def _unmap(self) -> None:
        """Hand back what was read and unmap the buffers (under the lock, once)."""

    def consume(self, limit: int | None = None) -> list[Any]:
        """The records available now (decoded copies), oldest first, at most *limit*; ``[]`` when there are none.

        Records past the limit stay in the buffer for the next read.
        """
        self._check_open()
        return self._take(True, _limit(limit))

    def consume_views(self, limit: int | None = None) -> list[memoryview]:
        """The records available now as ``memoryview``s into the buffer itself, without copying.

        They stay valid until the next ``consume*()``/``poll*()`` call or ``close()``: the space is
        handed back to the kernel only then. Faster than ``consume()``; take what you need from them.
        """
        self._check_open()
        return self._take(False, _limit(limit))

    def poll(self, timeout: float | None = None, limit: int | None = None) -> list[Any]:
        """The records that arrive within *timeout* seconds (``None``: wait until some do), at most
        *limit*; ``[]`` once closed."""
        return self._poll(timeout, True, _limit(limit))

    def poll_views(self, timeout: float | None = None, limit: int | None = None) -> list[memoryview]:
        """``poll()`` with the records as ``consume_views()`` gives them."""
        return self._poll(timeout, False, _limit(limit))

    def take(self) -> list[Any]:
        """``consume()``, but ``[]`` instead of an error once closed (for loops that another thread may stop)."""
        return self._take(True, None)

    def __iter__(self) -> Iterator[Any]:
        """Every record as it arrives; ends when the reader is closed."""
        while not self.waiter.closed:
            yield from self._poll(None, True, None)

    def __aiter__(self) -> AsyncIterator[Any]:
        """Every record as it arrives, waiting on the running event loop; ends when the reader is closed."""
        return arecords(self)

    def fileno(self) -> int:
        """A descriptor that is readable while records wait (for ``select``, ``epoll``, event loops)."""
        return self.waiter.fileno()

    @property
    def closed(self) -> bool:
        return self.waiter.closed

    def close(self) -> None:
        """Stop: wakes a waiting ``poll()`` or iteration, hands back what was read, unmaps the buffers.

        Views from ``consume_views()`` still held keep the memory mapped (not the map) until they go.
        """
        if self.waiter.closed:
            return
        self.waiter.close()
        with self._lock:
            if self._on_close is not None:
                self._on_close()
            self._unmap()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _poll(self, timeout: float | None, copy: bool, limit: int | None) -> list[Any]:
        records = self._take(copy, limit)
        if records or self.waiter.closed:
            return records
        self.waiter.wait(timeout)
        return self._take(copy, limit)

    def _take(self, copy: bool, limit: int | None) -> list[Any]:
        with self._lock:
            return [] if self.waiter.closed else self._read(copy, limit)

    def _check_open(self) -> None:
        if self.waiter.closed:
            raise ClosedMapError(f"{self.label} is closed")


def _limit(limit: int | None) -> int | None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise BpfArgumentError(f"limit is a number of records, at least 1, got {limit!r}")
    return limit


def unmap(*memories: Any) -> None:
    """Close mmaps; one that views handed out still use stays mapped until they are gone."""
    for memory in memories:
        with contextlib.suppress(BufferError):
            memory.close()
