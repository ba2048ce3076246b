"""``StreamingMap``: what maps read as event streams share: a reader opened at first use, reached through the map.

``m.consume()``, ``m.poll(timeout)``, ``for record in m``, ``async for record in m`` go to the
map's reader (``m.reader``), which ``open_reader()`` opens with a record type and options, and
which closes with the map. A record type is a codec, an attrs class, or the name of a type in the
BTF of a program that uses the map (``"struct event"``, as the program declared it).
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import AsyncIterator, Iterator
from typing import Any

from pybpfmaps.btf.source import Btf
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfError, BpfPermissionError, BpfSyscallError
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.streams.base import StreamReader
from pybpfmaps.streams.block import RecordBlock

RecordType = Codec[Any] | type | str | None
"""How records are decoded: a codec, an attrs class, a type name in the map's BTF; ``None``: ``bytes``."""


@contextlib.contextmanager
def mapping_errors(label: str) -> Iterator[None]:
    """Turn an ``OSError`` of ``mmap``/``perf_event_open`` into the pybpfmaps exception for it, naming the map."""
    try:
        yield
    except BpfError:
        raise
    except OSError as exc:
        cls = BpfPermissionError if exc.errno in (errno.EPERM, errno.EACCES) else BpfSyscallError
        command = exc.filename if isinstance(exc.filename, str) else "mmap"
        raise cls(exc.errno, exc.strerror or str(exc), command=command, map_label=label) from None


def record_codec(owner: Any, record: RecordType) -> Codec[Any] | None:
    """The codec of *record* for the records of map *owner*: a type name is looked up in the BTF of
    the map or of a program that uses it (``Btf.for_map``)."""
    if record is None:
        return None
    if isinstance(record, str):
        return Btf.for_map(owner).codec(record)
    return as_codec(record, "record")


class StreamingMap:
    """Mixin for maps whose contents are read as streams of records (ring buffers, perf event arrays)."""

    _handle: MapHandle
    _record: Codec[Any] | None = None
    _reader: StreamReader | None = None

    def _new_reader(self, record: Codec[Any] | None, options: dict[str, Any]) -> StreamReader:
        raise NotImplementedError

    def open_reader(self, record: RecordType = None, **options: Any) -> StreamReader:
        """(Re)open the map's reader, decoding records by *record*, which becomes the map's record type
        (``None``: keep the one it has; the default is ``bytes``).

        The reader becomes ``self.reader``, which ``consume()``, ``poll()`` and iteration use; a
        reader opened before is closed. *options* go to the reader (a perf buffer's ``pages``...).
        """
        if record is not None:
            self._record = record_codec(self, record)
        codec = self._record
        self._handle.live_fd()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._reader = self._new_reader(codec, options)
        return self._reader

    @property
    def reader(self) -> StreamReader:
        """The map's reader, opened with the defaults at first use."""
        return self._reader if self._reader is not None else self.open_reader()

    def consume(self, limit: int | None = None) -> list[Any]:
        """The records available now, oldest first, at most *limit*; ``[]`` when there are none. Never waits."""
        return self.reader.consume(limit)

    def consume_views(self, limit: int | None = None) -> list[memoryview]:
        """The records available now as ``memoryview``s into the buffer, valid until the next read (no copies)."""
        return self.reader.consume_views(limit)

    def consume_block(self, limit: int | None = None) -> RecordBlock:
        """The records available now as one ``RecordBlock`` left in the buffer (``block.column(field)``:
        a field of every record, no object per record), valid until the next read."""
        return self.reader.consume_block(limit)

    def poll(self, timeout: float | None = None, limit: int | None = None) -> list[Any]:
        """The records that arrive within *timeout* seconds (``None``: wait until some do), at most *limit*;
        ``[]`` at the timeout."""
        return self.reader.poll(timeout, limit)

    def poll_views(self, timeout: float | None = None, limit: int | None = None) -> list[memoryview]:
        """``poll()``, with the records as ``consume_views()`` gives them."""
        return self.reader.poll_views(timeout, limit)

    def poll_block(self, timeout: float | None = None, limit: int | None = None) -> RecordBlock:
        """``poll()``, with the records as ``consume_block()`` gives them."""
        return self.reader.poll_block(timeout, limit)

    def __iter__(self) -> Iterator[Any]:
        """Every record as it arrives, waiting for more; ends when the map (or its reader) is closed."""
        return iter(self.reader)

    def __aiter__(self) -> AsyncIterator[Any]:
        """Every record as it arrives, waiting on the running asyncio event loop (no thread)."""
        return self.reader.__aiter__()

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
