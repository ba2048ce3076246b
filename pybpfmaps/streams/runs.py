"""``Run``: where a reader found records in its buffer, and what every way of reading makes of them.

A reader locates the records available now as runs: records of one length at a fixed stride, each
after a header of fixed size (a record alone is a run of one). From runs come copies (``bytes``, or
values of a codec), zero-copy ``memoryview``s, and ``RecordBlock`` columns, the same way for every
kind of stream.
"""

from __future__ import annotations

from typing import Any

from pybpfmaps.codecs.base import Codec
from pybpfmaps.streams.records import decode_records, split_run


class Run:
    """*count* records of *length* bytes in *data*: record i at ``start + i * stride + skip``."""

    __slots__ = ("count", "data", "length", "skip", "start", "stride")

    def __init__(self, data: memoryview, start: int, skip: int, length: int, stride: int, count: int) -> None:
        self.data = data
        self.start = start
        self.skip = skip
        self.length = length
        self.stride = stride
        self.count = count

    def __repr__(self) -> str:
        return (
            f"Run(start={self.start}, skip={self.skip}, length={self.length}, stride={self.stride}, count={self.count})"
        )

    def views(self) -> list[memoryview]:
        """Each record as a ``memoryview`` of the buffer (no copy)."""
        first, length = self.start + self.skip, self.length
        return [self.data[at : at + length] for at in range(first, first + self.count * self.stride, self.stride)]

    def copies(self, size: int | None = None) -> list[bytes]:
        """Each record (its first *size* bytes, if given) as ``bytes``: ``struct`` cuts many per call."""
        length = self.length if size is None else size
        return split_run(self.data, self.start, self.skip, length, self.stride, self.count)


class RunList:
    """Runs as a reader finds them record by record: a record right after the last run's last one,
    of the same length, in the same buffer, extends that run."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.count = 0

    def add(self, data: memoryview, start: int, skip: int, length: int, stride: int) -> None:
        """One record: *length* bytes at ``start + skip``; the next record of a run would be *stride* bytes on."""
        self.count += 1
        if self.runs:
            last = self.runs[-1]
            if (
                last.data is data
                and (last.skip, last.length, last.stride) == (skip, length, stride)
                and last.start + last.count * stride == start
            ):
                last.count += 1
                return
        self.runs.append(Run(data, start, skip, length, stride, 1))


def copy_records(runs: list[Run], codec: Codec[Any] | None, slack: int) -> list[Any]:
    """The records of *runs* as ``bytes``, or values of *codec*.

    A record of the codec's size (or up to *slack* - 1 bytes longer: the padding a perf sample
    carries) is decoded; one of any other length comes as ``bytes``.
    """
    if codec is None:
        return [record for run in runs for record in run.copies()]
    size = codec.size
    fits = [size <= run.length < size + slack for run in runs]
    if all(fits):
        copies = [record for run in runs for record in run.copies(size)]
        return codec.unpack_many(b"".join(copies), len(copies))
    records: list[Any] = []
    for run, fit in zip(runs, fits, strict=True):
        records.extend(decode_records(codec, run.copies(size)) if fit else run.copies())
    return records


def view_records(runs: list[Run]) -> list[memoryview]:
    """The records of *runs* as ``memoryview``s of the buffer."""
    return [view for run in runs for view in run.views()]


def record_count(runs: list[Run]) -> int:
    """How many records *runs* hold."""
    return sum(run.count for run in runs)
