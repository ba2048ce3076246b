"""``Poller``: one wait for several streams (ring buffers, perf event arrays, their readers).

``poller.poll(timeout)`` gives ``(source, record)`` pairs, the source being the map or reader as
given; iteration and ``async for`` give them as they arrive. Each stream's records keep their
order; streams are read in the order they were added.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.streams.aio import arecords
from pybpfmaps.streams.base import StreamReader
from pybpfmaps.streams.waiting import Waiter


def _reader_of(source: Any) -> StreamReader:
    reader = source if isinstance(source, StreamReader) else getattr(source, "reader", None)
    if not isinstance(reader, StreamReader):
        raise BpfArgumentError(f"{source!r} is not a stream: give ring buffers, perf event arrays or their readers")
    return reader


class Poller:
    """Waits on several streams at once. ``close()`` (from any thread) ends a wait; the streams stay open."""

    def __init__(self, *sources: Any) -> None:
        self.waiter = Waiter("poller")
        self._sources: list[tuple[Any, StreamReader]] = []
        for source in sources:
            self.add(source)

    def add(self, source: Any) -> None:
        """Wait on *source* too: a ``RingBufMap``, a ``PerfEventArrayMap`` (its reader opens now) or a reader."""
        reader = _reader_of(source)
        self.waiter.add(reader.fileno())
        self._sources.append((source, reader))

    def take(self) -> list[tuple[Any, Any]]:
        """The records available now, as ``(source, record)``; ``[]`` once closed."""
        if self.waiter.closed:
            return []
        return [(source, record) for source, reader in self._sources for record in reader.take()]

    def poll(self, timeout: float | None = None) -> list[tuple[Any, Any]]:
        """The records that arrive within *timeout* seconds (``None``: until some do), as ``(source, record)``."""
        records = self.take()
        if records or self.waiter.closed:
            return records
        self.waiter.wait(timeout)
        return self.take()

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        """``(source, record)`` as records arrive; ends when the poller is closed."""
        while not self.waiter.closed:
            yield from self.poll()

    def __aiter__(self) -> AsyncIterator[tuple[Any, Any]]:
        """``(source, record)`` as records arrive, waiting on the running event loop; ends at ``close()``."""
        return arecords(self)

    def close(self) -> None:
        """Stop waiting (a thread in ``poll()`` or iteration returns); the streams themselves stay open."""
        self.waiter.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.waiter.closed else f"{len(self._sources)} streams"
        return f"<Poller: {state}>"
