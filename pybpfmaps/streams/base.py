"""``StreamReader``: what every stream reader offers: ``consume()``, ``poll(timeout)``, iteration, ``async for``.

A subclass finds the records in its buffers in ``_locate(limit)`` and gives their space back in
``_hand_back()`` (both under the reader's lock, never after close), and unmaps the buffers in
``_unmap()``; making copies, views or a block of the records, waiting, closing from another thread
and the event loop are here.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal, overload

from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError, ClosedMapError
from pybpfmaps.streams.aio import arecords
from pybpfmaps.streams.block import RecordBlock
from pybpfmaps.streams.runs import Run, copy_records, view_records
from pybpfmaps.streams.waiting import Waiter

_Mode = Literal["copy", "views", "block"]


class StreamReader(abc.ABC):
    """Records from kernel buffers, oldest first. Thread-safe; ``close()`` from any thread ends a waiting read."""

    def __init__(self, label: str, on_close: Callable[[], object] | None = None) -> None:
        self.label = label
        self._lock = threading.Lock()
        self.waiter = Waiter(label)
        self._on_close = on_close
        self._reads = 0

    codec: Codec[Any] | None
    slack = 1
    """A record up to ``slack - 1`` bytes longer than the record type still decodes (perf samples are padded)."""

    @abc.abstractmethod
    def _locate(self, limit: int | None) -> list[Run]:
        """Where the records available now are, at most *limit*; their space is held until ``_hand_back()``."""

    @abc.abstractmethod
    def _hand_back(self) -> None:
        """Give the kernel back the space of the records located so far."""

    @abc.abstractmethod
    def _unmap(self) -> None:
        """Unmap the buffers (under the lock, once, after ``_hand_back()``)."""

    def consume(self, limit: int | None = None) -> list[Any]:
        """The records available now (decoded copies), oldest first, at most *limit*; ``[]`` when there are none.

        Records past the limit stay in the buffer for the next read.
        """
        self._check_open()
        return self._take("copy", _limit(limit))

    def consume_views(self, limit: int | None = None) -> list[memoryview]:
        """The records available now as ``memoryview``s into the buffer itself, without copying.

        They stay valid until the next ``consume*()``/``poll*()`` call or ``close()``: the space is
        handed back to the kernel only then. Faster than ``consume()``; take what you need from them.
        """
        self._check_open()
        return self._take("views", _limit(limit))

    def consume_block(self, limit: int | None = None) -> RecordBlock:
        """The records available now as one ``RecordBlock``, left in the buffer: ``block.column(field)``
        reads a field of every record with no object per record, ``block[i]`` is one record.

        Valid until the next ``consume*()``/``poll*()`` call or ``close()``, like ``consume_views()``.
        """
        self._check_open()
        return self._take("block", _limit(limit))

    def poll(self, timeout: float | None = None, limit: int | None = None) -> list[Any]:
        """The records that arrive within *timeout* seconds (``None``: wait until some do), at most
        *limit*; ``[]`` once closed."""
        return self._poll(timeout, "copy", _limit(limit))

    def poll_views(self, timeout: float | None = None, limit: int | None = None) -> list[memoryview]:
        """``poll()`` with the records as ``consume_views()`` gives them."""
        return self._poll(timeout, "views", _limit(limit))

    def poll_block(self, timeout: float | None = None, limit: int | None = None) -> RecordBlock:
        """``poll()`` with the records as ``consume_block()`` gives them (an empty block at the timeout)."""
        return self._poll(timeout, "block", _limit(limit))

    def take(self) -> list[Any]:
        """``consume()``, but ``[]`` instead of an error once closed (for loops that another thread may stop)."""
        return self._take("copy", None)

    def __iter__(self) -> Iterator[Any]:
        """Every record as it arrives; ends when the reader is closed."""
        while not self.waiter.closed:
            yield from self._poll(None, "copy", None)

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
            self._reads += 1  # a block handed out ends here
            if self._on_close is not None:
                self._on_close()
            self._hand_back()
            self._unmap()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @overload
    def _poll(self, timeout: float | None, mode: Literal["block"], limit: int | None) -> RecordBlock: ...
    @overload
    def _poll(self, timeout: float | None, mode: Literal["copy", "views"], limit: int | None) -> list[Any]: ...
    def _poll(self, timeout: float | None, mode: _Mode, limit: int | None) -> list[Any] | RecordBlock:
        records = self._take(mode, limit)
        if records or self.waiter.closed:
            return records
        self.waiter.wait(timeout)
        return self._take(mode, limit)

    @overload
    def _take(self, mode: Literal["block"], limit: int | None) -> RecordBlock: ...
    @overload
    def _take(self, mode: Literal["copy", "views"], limit: int | None) -> list[Any]: ...
    def _take(self, mode: _Mode, limit: int | None) -> list[Any] | RecordBlock:
        with self._lock:
            self._reads += 1  # the records of the last read go back now: a block of them ends
            runs: list[Run] = []
            if not self.waiter.closed:
                self._hand_back()
                runs = self._locate(limit)
            if mode == "copy":
                records = copy_records(runs, self.codec, self.slack)
                if runs:
                    self._hand_back()
                return records
            if mode == "views":
                return view_records(runs)
            reads = self._reads
            return RecordBlock(
                runs, self.codec, self.slack, self.label, lambda: self._reads == reads, lambda: self._release(reads)
            )

    def _release(self, reads: int) -> None:
        """Hand back the records of read number *reads*, if no read has since."""
        with self._lock:
            if self._reads == reads and not self.waiter.closed:
                self._reads += 1
                self._hand_back()

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
