"""The parts of the stream readers that need no kernel: cutting runs of records, decoding them, and
waking and closing a waiter from another thread."""

from __future__ import annotations

import array
import os
import threading
import time

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpfmaps import BpfArgumentError, ClosedMapError, RecordBlock, codec_for, i8, u16, u32
from pybpfmaps.streams.records import RUN_CHUNK, all_equal, decode_records, split_run
from pybpfmaps.streams.runs import RunList, copy_records, view_records
from pybpfmaps.streams.waiting import Waiter


@given(
    count=st.sampled_from([1, 2, RUN_CHUNK - 1, RUN_CHUNK, RUN_CHUNK + 1, 3 * RUN_CHUNK + 5]),
    length=st.integers(1, 40),
    skip=st.sampled_from([8, 12]),
    start=st.integers(0, 16),
)
def test_a_run_is_cut_into_exactly_its_records(count: int, length: int, skip: int, start: int) -> None:
    stride = skip + length + 7 & ~7
    block = bytes(range(256)) * ((start + count * stride) // 256 + 1)
    expected = [block[start + i * stride + skip : start + i * stride + skip + length] for i in range(count)]
    assert split_run(block, start, skip, length, stride, count) == expected
    assert split_run(memoryview(block), start, skip, length, stride, count) == expected


@attrs.frozen
class Pair:
    a: int = u32()
    b: int = u32()


def test_records_decode_by_their_type_and_the_odd_one_stays_bytes() -> None:
    records: list[bytes | memoryview] = [bytes([1, 0, 0, 0, 2, 0, 0, 0]), b"\x05", memoryview(bytes(8))]
    assert decode_records(None, records) == [records[0], b"\x05", bytes(8)]
    assert decode_records(codec_for(Pair), records) == [Pair(1, 2), b"\x05", Pair(0, 0)]
    assert decode_records(u32, [b"\x07\x00\x00\x00"] * 3) == [7, 7, 7]


def test_close_wakes_a_waiting_thread_and_every_later_wait() -> None:
    waiter = Waiter("test")
    read, write = os.pipe()
    try:
        waiter.add(read)
        result: list[list[int]] = []
        waiting = threading.Thread(target=lambda: result.append(waiter.wait(None)))
        waiting.start()
        time.sleep(0.05)
        waiter.close()
        waiting.join(30)
        assert not waiting.is_alive()
        assert result == [[]]
        assert waiter.wait(None) == []  # at once
        with pytest.raises(ClosedMapError):
            waiter.fileno()
    finally:
        os.close(read)
        os.close(write)


def test_a_readable_fd_is_reported_and_the_epoll_fd_outlives_its_last_user() -> None:
    waiter = Waiter("test")
    read, write = os.pipe()
    try:
        waiter.add(read)
        assert waiter.wait(0) == []
        os.write(write, b"x")
        assert waiter.wait(5) == [read]
        epoll_fd = waiter.fileno()
        with waiter.in_use():
            waiter.close()
            os.fstat(epoll_fd)  # still open while in use
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(epoll_fd)  # closed by the last user
    finally:
        os.close(read)
        os.close(write)


def _records(*lengths: int, skip: int = 8) -> tuple[memoryview, RunList]:
    """A buffer of records of *lengths* (record i's bytes all i + 1), each after a *skip*-byte header,
    8-byte aligned, and the runs a reader finds in it."""
    data, runs = bytearray(), RunList()
    for i, length in enumerate(lengths):
        stride = skip + length + 7 & ~7
        data += bytes(skip) + bytes([i + 1]) * length + bytes(stride - skip - length)
    view = memoryview(bytes(data)).toreadonly()
    at = 0
    for length in lengths:
        stride = skip + length + 7 & ~7
        runs.add(view, at, skip, length, stride)
        at += stride
    return view, runs


def test_records_of_one_length_one_after_another_make_one_run() -> None:
    _view, found = _records(4, 4, 4, 12, 12, 4)
    assert [(run.start, run.length, run.stride, run.count) for run in found.runs] == [
        (0, 4, 16, 3),
        (48, 12, 24, 2),
        (96, 4, 16, 1),
    ]
    assert found.count == 6
    assert view_records(found.runs)[3].tobytes() == bytes([4]) * 12


def test_copies_decode_records_that_fit_with_their_padding_and_keep_the_others_as_bytes() -> None:
    _view, found = _records(4, 4, 8, 2)
    assert copy_records(found.runs, None, 1) == [b"\x01" * 4, b"\x02" * 4, b"\x03" * 8, b"\x04" * 2]
    assert copy_records(found.runs, u32, 1) == [0x01010101, 0x02020202, b"\x03" * 8, b"\x04" * 2]
    assert copy_records(found.runs, u32, 8) == [0x01010101, 0x02020202, 0x03030303, b"\x04" * 2]  # perf padding


@attrs.frozen
class Mixed:
    small: int = i8()
    n: int = u16()
    big: int = u32()


def test_a_block_gathers_a_column_across_runs_and_indexes_every_record() -> None:
    _view, found = _records(8, 8, 8, 16, 8)
    block = RecordBlock(found.runs, codec_for(Mixed), 1, "test", lambda: True)
    assert len(block) == 5
    assert list(block.column("n")) == [0x0101, 0x0202, 0x0303, 0x0404, 0x0505]
    assert list(block.column("small")) == [1, 2, 3, 4, 5]
    assert list(block.column("big")) == [0x01010101 * i for i in range(1, 6)]
    assert [block[i].tobytes()[0] for i in range(-5, 5)] == [1, 2, 3, 4, 5] * 2
    with pytest.raises(IndexError):
        block[-6]
    with pytest.raises(BpfArgumentError, match="not a struct"):
        RecordBlock(found.runs, u32, 1, "test", lambda: True).column("n")
    with pytest.raises(BpfArgumentError, match="not native scalars"):
        RecordBlock(found.runs, codec_for(Mixed), 1, "test", lambda: True).column()
    assert list(RecordBlock(found.runs, u16, 1, "test", lambda: True).column()) == [0x0101 * i for i in range(1, 6)]
    assert len(RecordBlock([], None, 1, "test", lambda: True)) == 0


@given(count=st.sampled_from([0, 1, 4095, 4096, 4097, 9000]), odd=st.integers(0, 9000), stride=st.sampled_from([1, 3]))
def test_all_equal_finds_one_different_word_anywhere_in_a_strided_run(count: int, odd: int, stride: int) -> None:
    words = array.array("I", [24]) * (count * stride)
    view = memoryview(words)[::stride]
    assert all_equal(view, 24)
    if count:
        view[odd % count] = 24 | 1 << 31  # a busy bit
        assert not all_equal(view, 24)
