"""``RecordBlock``: the records of one read, left where they are in the buffer, read as columns.

For streams too fast for one Python object per record: ``consume_block()`` finds the records and
hands them over as one object; ``block.column("len")`` is a ``memoryview`` of that field in every
record (one per record, no decoding: ``sum()``, ``max()``, ``collections.Counter``, NumPy's
``asarray`` take it as it is). When the records of a read lie at one stride (the usual stream: one
length, no wrap) the column is a view of the buffer itself; otherwise their fields are gathered
into one array first. ``block[i]`` is record *i*'s bytes.

The space goes back to the kernel at the reader's next read, or at ``block.release()`` (the end of
a ``with`` block): the block is valid until then, and says so instead of showing records the
kernel has since overwritten. Records the program sends meanwhile need space of their own.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from pybpfmaps.codecs._columns import Column, column_of
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import ClosedMapError, CodecError
from pybpfmaps.streams.runs import Run, copy_records, view_records


class RecordBlock:
    """The records of one read of *label*'s reader, decoded on demand by *codec*.

    *valid* says whether the reader still holds the records back (no read since); *release* hands
    their space back at once.
    """

    def __init__(
        self,
        runs: list[Run],
        codec: Codec[Any] | None,
        slack: int,
        label: str,
        valid: Callable[[], bool],
        release: Callable[[], object] = lambda: None,
    ) -> None:
        self._runs = runs
        self._ends = list(itertools.accumulate(run.count for run in runs))
        self.codec = codec
        self._slack = slack
        self.label = label
        self._valid = valid
        self._release = release

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: int) -> memoryview:
        """Record *index*'s bytes, in the buffer (valid as long as the block)."""
        self._check()
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"record {index} of a block of {count}")
        index %= count
        which = bisect.bisect_right(self._ends, index)
        run = self._runs[which]
        at = run.start + run.skip + (index - (self._ends[which] - run.count)) * run.stride
        return run.data[at : at + run.length]

    def __iter__(self) -> Iterator[memoryview]:
        """Each record's bytes, in the buffer."""
        self._check()
        return iter(view_records(self._runs))

    def column(self, field: str | None = None) -> memoryview:
        """Struct field *field* of every record (``None``: the record itself, when a scalar), as a
        ``memoryview`` of native scalars, one per record, in order.

        Needs a record type (``open_reader(record)``) whose field is a native scalar; every
        record must be long enough to hold it.
        """
        self._check()
        if self.codec is None:
            raise CodecError(f"the records of {self.label} have no type: open the reader with one for columns")
        column = column_of(self.codec, field, self.label, "block.records()[i]")
        for run in self._runs:
            if run.length < column.offset + column.size:
                raise CodecError(
                    f"a record of {run.length} bytes in {self.label} is too short for "
                    f"{field or 'the value'} ({column.size} bytes at {column.offset})"
                )
        if len(self._runs) == 1:
            return _strided(self._runs[0], column)
        gathered = b"".join(_strided(run, column).tobytes() for run in self._runs)
        return memoryview(gathered).cast(column.format)  # type: ignore[call-overload,no-any-return]

    def records(self) -> list[Any]:
        """Copies of the records, decoded as ``consume()`` gives them."""
        self._check()
        return copy_records(self._runs, self.codec, self._slack)

    def release(self) -> None:
        """Hand the records' space back to the kernel now rather than at the next read; the block ends."""
        if self._valid():
            self._release()

    def __enter__(self) -> RecordBlock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _check(self) -> None:
        if not self._valid():
            raise ClosedMapError(
                f"this block of {self.label}'s records ended with the reader's next read (or its release, or close): "
                "its space is the kernel's again"
            )

    def __repr__(self) -> str:
        record = "bytes" if self.codec is None else self.codec.name
        state = "" if self._valid() else ", ended"
        return f"<RecordBlock of {self.label}: {len(self)} records as {record}{state}>"


def _strided(run: Run, column: Column) -> memoryview:
    """*column* of the records of *run*, as a view of its buffer."""
    first = run.start + run.skip + column.offset
    if run.count == 1 or run.stride % column.size:  # (records lie 8-byte aligned: the second never happens)
        parts = [run.data[at : at + column.size] for at in range(first, first + run.count * run.stride, run.stride)]
        return memoryview(b"".join(parts)).cast(column.format)  # type: ignore[call-overload,no-any-return]
    end = first + (run.count - 1) * run.stride + column.size
    whole: memoryview = run.data[first:end].cast(column.format)  # type: ignore[call-overload]
    return whole[:: run.stride // column.size]
