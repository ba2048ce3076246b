"""``arecords()``: a stream's records as an ``async`` iterator, waiting on the event loop itself (no thread)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

from pybpfmaps.streams.waiting import Waiter


class Stream(Protocol):
    """What a reader offers the event loop: records available now, and a waiter to watch."""

    @property
    def waiter(self) -> Waiter: ...

    def take(self) -> list[Any]:
        """The records available now; ``[]`` once closed."""
        ...


async def arecords(stream: Stream) -> AsyncIterator[Any]:
    """Every record of *stream* as it arrives; ends when the stream is closed (from any thread)."""
    loop = asyncio.get_running_loop()
    waiter = stream.waiter
    while not waiter.closed:
        batch = stream.take()
        if batch:
            for record in batch:
                yield record
            continue
        with waiter.in_use():
            if waiter.closed:
                break
            fd = waiter.fileno()
            readable: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, _settle, readable)
            try:
                await readable
            finally:
                loop.remove_reader(fd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
