"""The bulk operations' contract on a fake kernel: exact accounts after partial batches, refusals,
full maps, bad input and Ctrl-C, on the batch path and the per-element one alike.

tests/kernel checks the same contract against the real kernel; here every failure can be put
exactly where a test wants it.
"""

from __future__ import annotations

import errno
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from pybpfmaps import (
    BatchDeleteError,
    BatchInterrupted,
    BatchUpdateError,
    BpfSyscallError,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    MapFullError,
    UpdateFlags,
)
from pybpfmaps.maps._handle import ChunkPolicy
from tests.support.fake_kernel import FakeKernel, Fault, fake_map, fresh_features

U32 = [k.to_bytes(4, "little") for k in range(64)]


@pytest.fixture(params=[True, False], ids=["batch", "per-element"])
def kernel(request: pytest.FixtureRequest) -> Iterator[FakeKernel]:
    made = FakeKernel(max_entries=64)
    made.batch = request.param
    with fresh_features():
        yield made


@pytest.fixture
def m(kernel: FakeKernel) -> Iterator[HashMap[int, int]]:
    made: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(write_elements=4, read_elements=4))
    yield made
    made.close()


def stored(kernel: FakeKernel) -> dict[int, int]:
    return {int.from_bytes(k, "little"): int.from_bytes(v, "little") for k, v in kernel.store.items()}


def fail_writes(kernel: FakeKernel, err: int, at: int, chunk: int = 4) -> None:
    """Make the write of element *at* (0-based, over the whole call) fail with *err*."""
    if kernel.batch:
        kernel.faults.append(Fault("map_update_batch", err, call=at // chunk + 1, after=at % chunk))
    else:
        kernel.faults.append(Fault("map_update_elem", err, call=at + 1))


def test_update_many_writes_everything_in_chunks(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    assert m.update_many({k: k * 10 for k in range(10)}) == 10
    assert stored(kernel) == {k: k * 10 for k in range(10)}
    if kernel.batch:
        assert kernel.count("map_update_batch") == 3  # 4 + 4 + 2
        assert kernel.count("map_update_elem") == 0
    else:
        assert kernel.count("map_update_elem") == 10


@pytest.mark.parametrize("streamed", [False, True], ids=["list", "stream"])
@pytest.mark.parametrize("at", [0, 1, 3, 4, 6, 9])
def test_a_failure_mid_call_reports_exactly_what_was_applied(
    kernel: FakeKernel, m: HashMap[int, int], at: int, streamed: bool
) -> None:
    fail_writes(kernel, errno.ENOMEM, at)
    pairs = [(k, k) for k in range(10)]
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(iter(pairs) if streamed else pairs)
    assert caught.value.applied == at
    assert caught.value.failed_key == at
    assert stored(kernel) == {k: k for k in range(at)}


def test_a_batch_refused_up_front_applied_nothing_of_it() -> None:
    """A count equal to the request, with an error, means nothing of that chunk was written."""
    kernel = FakeKernel()
    kernel.faults.append(Fault("map_update_batch", errno.EPERM, call=2, after=None))
    with fresh_features():
        m: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(write_elements=4))
        with pytest.raises(BatchUpdateError) as caught:
            m.update_many({k: k for k in range(10)})
        m.close()
    assert caught.value.applied == 4
    assert caught.value.failed_key == 4
    assert stored(kernel) == {k: k for k in range(4)}


def test_a_full_map_stops_at_the_first_element_that_did_not_fit(kernel: FakeKernel) -> None:
    kernel.max_entries = 6
    m: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(write_elements=4))
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many({k: k for k in range(10)})
    m.close()
    assert isinstance(caught.value.__cause__, MapFullError)
    assert caught.value.applied == 6
    assert caught.value.failed_key == 6
    assert stored(kernel) == {k: k for k in range(6)}


def test_noexist_goes_element_by_element_and_stops_at_a_present_key(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    kernel.store[U32[5]] = bytes(8)
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(dict.fromkeys(range(8), 1), flags=UpdateFlags.NOEXIST)
    assert isinstance(caught.value.__cause__, KeyExistsError)
    assert caught.value.applied == 5
    assert kernel.count("map_update_batch") == 0
    assert stored(kernel) == {**dict.fromkeys(range(5), 1), 5: 0}


def test_bad_input_in_a_sized_collection_writes_nothing(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    items: list[tuple[int, Any]] = [(k, k) for k in range(10)]
    items[7] = (7, "seven")
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(items)
    assert caught.value.applied == 0
    assert caught.value.failed_key == 7
    assert kernel.store == {}
    assert kernel.calls == []  # validated and encoded before the first syscall


def test_bad_input_from_an_iterator_stops_after_the_chunks_before_it(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    def items() -> Iterator[tuple[int, Any]]:
        for k in range(10):
            yield (k, "seven" if k == 7 else k)

    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(items())
    assert caught.value.applied == 4  # the first chunk (0..3); the second held the bad value
    assert caught.value.failed_key == 7
    assert stored(kernel) == {k: k for k in range(4)}


def test_an_iterator_that_raises_is_reported_with_what_was_written(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    def items() -> Iterator[tuple[int, int]]:
        yield from ((k, k) for k in range(6))
        raise RuntimeError("source went away")

    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(items())
    assert caught.value.failed_key is None
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert caught.value.applied == 4
    assert stored(kernel) == {k: k for k in range(4)}


def test_a_write_that_fails_while_the_next_chunk_is_bad_is_the_failure_reported(
    kernel: FakeKernel, m: HashMap[int, int]
) -> None:
    """A stream's chunk is written while the next is encoded: the earlier element's failure wins."""
    fail_writes(kernel, errno.ENOMEM, 5)

    def items() -> Iterator[tuple[int, Any]]:
        yield from ((k, "nine" if k == 9 else k) for k in range(12))

    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(items())
    assert (caught.value.applied, caught.value.failed_key) == (5, 5)
    assert isinstance(caught.value.__cause__, BpfSyscallError)
    assert caught.value.__cause__.errno == errno.ENOMEM
    assert stored(kernel) == {k: k for k in range(5)}


def test_a_stream_that_raises_ctrl_c_itself_is_accounted_after_the_write_in_flight(
    kernel: FakeKernel, m: HashMap[int, int]
) -> None:
    """A KeyboardInterrupt from the caller's own generator (a SIGINT handler of its own, say)."""

    def items() -> Iterator[tuple[int, int]]:
        yield from ((k, k) for k in range(6))
        raise KeyboardInterrupt

    with pytest.raises(BatchInterrupted) as caught:
        m.update_many(items())
    assert caught.value.applied == 4  # the first chunk, written while the second was read
    assert stored(kernel) == {k: k for k in range(4)}
    assert m._handle.fd._users == []


def interrupt_on(kernel: FakeKernel, command: str, call: int) -> None:
    """Send SIGINT to this process during the *call*-th call of *command* (mid-syscall)."""

    def during(name: str) -> None:
        if name == command and kernel.count(name) == call:
            signal.raise_signal(signal.SIGINT)

    kernel.during = during


@pytest.mark.parametrize("streamed", [False, True], ids=["dict", "stream"])
def test_ctrl_c_mid_syscall_is_raised_after_the_chunk_with_an_exact_count(
    kernel: FakeKernel, m: HashMap[int, int], streamed: bool
) -> None:
    pairs = [(k, k) for k in range(12)]
    command, call = ("map_update_batch", 2) if kernel.batch else ("map_update_elem", 6)
    interrupt_on(kernel, command, call)
    with pytest.raises(BatchInterrupted) as caught:
        m.update_many(iter(pairs) if streamed else dict(pairs))
    assert caught.value.applied == 8  # the chunk running when Ctrl-C came was completed first
    assert stored(kernel) == {k: k for k in range(8)}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_delete_many_stops_at_a_missing_key_unless_told(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    m.update_many({k: k for k in range(10) if k != 6})
    with pytest.raises(BatchDeleteError) as caught:
        m.delete_many(range(10))
    assert isinstance(caught.value.__cause__, KeyNotFoundError)
    assert caught.value.applied == 6
    assert caught.value.failed_key == 6
    assert stored(kernel) == {7: 7, 8: 8, 9: 9}
    assert m.delete_many(range(10), missing_ok=True) == 3
    assert kernel.store == {}


def test_delete_many_reports_a_failure_after_some_deletes(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    m.update_many({k: k for k in range(10)})
    if kernel.batch:
        kernel.faults.append(Fault("map_delete_batch", errno.EPERM, call=2, after=1))
    else:
        kernel.faults.append(Fault("map_delete_elem", errno.EPERM, call=6))
    with pytest.raises(BatchDeleteError) as caught:
        m.delete_many(list(range(10)))
    assert caught.value.applied == 5
    assert caught.value.failed_key == 5
    assert stored(kernel) == {k: k for k in range(5, 10)}


def test_ctrl_c_during_delete_many_counts_exactly(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    m.update_many({k: k for k in range(10)})
    command, call = ("map_delete_batch", 1) if kernel.batch else ("map_delete_elem", 2)
    interrupt_on(kernel, command, call)
    with pytest.raises(BatchInterrupted) as caught:
        m.delete_many(range(10))
    assert caught.value.applied == 4
    assert stored(kernel) == {k: k for k in range(4, 10)}
