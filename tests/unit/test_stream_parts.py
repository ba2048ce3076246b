"""The parts of the stream readers that need no kernel: cutting runs of records, decoding them, and
waking and closing a waiter from another thread."""

from __future__ import annotations

import os
import threading
import time

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpfmaps import ClosedMapError, codec_for, u32
from pybpfmaps.streams.records import RUN_CHUNK, decode_records, split_run
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
