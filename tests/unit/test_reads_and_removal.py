"""Batch reads, removal and the key walk on a fake kernel: buckets that outgrow the buffer, the last
chunk that comes with the end, failures and Ctrl-C mid-drain, keys deleted under the walk."""

from __future__ import annotations

import errno
import signal
from collections.abc import Iterator

import pytest

from pybpfmaps import BatchInterrupted, BpfSyscallError, DrainError, HashMap
from pybpfmaps.maps._handle import ChunkPolicy
from tests.support.fake_kernel import FakeKernel, Fault, fake_map, fresh_features


def left_in(kernel: FakeKernel) -> dict[int, int]:
    return {int.from_bytes(k, "little"): int.from_bytes(v, "little") for k, v in kernel.store.items()}


def fill(kernel: FakeKernel, keys: list[int]) -> dict[int, int]:
    for k in keys:
        kernel.store[k.to_bytes(4, "little")] = (k * 3).to_bytes(8, "little")
    return {k: k * 3 for k in keys}


@pytest.fixture
def kernel() -> Iterator[FakeKernel]:
    with fresh_features():
        yield FakeKernel(max_entries=64, buckets=4)


@pytest.fixture
def m(kernel: FakeKernel) -> Iterator[HashMap[int, int]]:
    made: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(read_elements=2))
    yield made
    made.close()


def test_a_bucket_larger_than_the_buffer_grows_it_and_every_key_comes_once(
    kernel: FakeKernel, m: HashMap[int, int]
) -> None:
    expected = fill(kernel, [0, 4, 8, 12, 16, 1, 2, 6])  # bucket 0 holds five keys; buffers start at 2
    assert m.copy() == expected
    assert max(kernel.capacities) >= 5
    assert sorted(k for k, _ in m.items()) == sorted(expected)


def test_the_elements_that_come_with_the_end_are_kept(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    expected = fill(kernel, [0, 1, 2, 3, 5])  # 2 + 2 + 1: the last call answers ENOENT with one element
    assert m.copy() == expected


def test_an_empty_map_reads_as_empty(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    assert m.copy() == {}
    assert m.drain() == {}


def test_drain_removes_everything_once(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    expected = fill(kernel, list(range(11)))
    assert m.drain() == expected
    assert kernel.store == {}


def test_a_failure_mid_drain_carries_what_was_removed(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    before = fill(kernel, list(range(12)))
    kernel.faults.append(Fault("map_lookup_and_delete_batch", errno.EINTR, call=3))
    with pytest.raises(DrainError) as caught:
        m.drain()
    removed = caught.value.removed
    left = left_in(kernel)
    assert removed
    assert left
    assert dict(removed) | left == before
    assert not set(removed) & set(left)
    assert caught.value.applied == len(removed)


def test_ctrl_c_mid_drain_carries_what_was_removed(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    before = fill(kernel, list(range(12)))

    def during(name: str) -> None:
        if name == "map_lookup_and_delete_batch" and kernel.count(name) == 2:
            signal.raise_signal(signal.SIGINT)

    kernel.during = during
    with pytest.raises(BatchInterrupted) as caught:
        m.drain()
    assert caught.value.removed is not None
    left = left_in(kernel)
    assert dict(caught.value.removed) | left == before
    assert len(caught.value.removed) == caught.value.applied > 0


@pytest.mark.parametrize("batch", [True, False])
def test_pop_many_takes_exactly_the_count_asked(kernel: FakeKernel, m: HashMap[int, int], batch: bool) -> None:
    kernel.batch = batch
    before = fill(kernel, list(range(10)))
    popped = m.pop_many(7)
    assert len(popped) == 7
    left = left_in(kernel)
    assert popped | left == before
    assert len(left) == 3


def test_the_key_walk_survives_the_current_key_being_deleted(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    """GET_NEXT_KEY of a deleted key restarts at the first key: the walk goes on from a key still
    there, and yields every key present throughout exactly once."""
    kernel.batch = False
    fill(kernel, list(range(10)))

    def during(name: str) -> None:
        if name == "map_get_next_key" and kernel.count(name) == 4:
            del kernel.store[(2).to_bytes(4, "little")]  # the key the walk stands on

    kernel.during = during
    keys = list(m)
    assert kernel.count("map_get_next_key") > 10  # the walk ran, and was sent back to the start
    assert len(keys) == len(set(keys))
    assert set(range(10)) - {2} <= set(keys)


def test_the_key_walk_stops_when_writers_outrun_it(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    """A walk that keeps being sent back to the start ends with IterationAbortedError, not a hang."""
    from pybpfmaps import IterationAbortedError

    kernel.batch = False
    kernel.max_entries = 4
    fill(kernel, [0, 1, 2, 3])
    fresh = iter(range(100, 10_000))

    def during(name: str) -> None:
        if name == "map_get_next_key":  # replace the first key by a new one, every step
            first = next(iter(kernel.store))
            del kernel.store[first]
            kernel.store[next(fresh).to_bytes(4, "little")] = bytes(8)

    kernel.during = during
    with pytest.raises(IterationAbortedError):
        list(m)


def test_lookup_many_gives_each_value_or_the_default(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    held = fill(kernel, [1, 2, 5, 8])
    wanted = [8, 0, 1, 9, 2, 5, 5, 7]
    assert m.lookup_many(wanted, default=-1) == [held.get(k, -1) for k in wanted]
    assert kernel.count("map_lookup_elem") == len(wanted)
    assert m.lookup_many([1, 2]) == [3, 6]
    assert m.lookup_many([]) == []


def test_lookup_many_raises_what_the_kernel_refused(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    fill(kernel, list(range(8)))
    kernel.faults.append(Fault("map_lookup_elem", errno.EPERM, call=4))
    with pytest.raises(BpfSyscallError, match="BPF_MAP_LOOKUP_ELEM") as caught:
        m.lookup_many([10, 11, 12, 13, 14])
    assert caught.value.errno == errno.EPERM


def test_lookup_many_of_many_keys_reads_the_map_once(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    held = fill(kernel, list(range(0, 40, 3)))
    wanted = [*range(20), 39, 39, 63]  # a quarter of the capacity or more: one read of the whole map
    assert m.lookup_many(wanted, default=None) == [held.get(k) for k in wanted]
    assert kernel.count("map_lookup_elem") == 0
    assert kernel.count("map_lookup_batch") >= 1
    assert m.lookup_many(iter(wanted)) == [held.get(k) for k in wanted]  # a stream: key by key
    assert kernel.count("map_lookup_elem") == len(wanted)
