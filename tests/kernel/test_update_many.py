"""update_many on the real kernel: one contract on the batch path and the per-element path.

These tests also run in the child processes of test_emulated_kernels.py, where the kernel seems
to lack batch commands, with the same expectations: only ``batch_support`` differs.
"""

from __future__ import annotations

import array
import collections
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pybpfmaps import (
    ArrayIndexError,
    ArrayMap,
    BatchUpdateError,
    BpfArgumentError,
    BpfMap,
    BpfPermissionError,
    BpfSyscallError,
    CodecError,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    LruHashMap,
    MapFullError,
    UpdateFlags,
    raw,
    u32,
    u64,
)
from pybpfmaps.maps._handle import ChunkPolicy
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash, LRU and array maps with BTF; batch commands if there")


def contents(m: BpfMap[Any, Any]) -> dict[int, int]:
    """The map as bpftool reads it, for u32 -> u64 maps."""
    return {struct.unpack("=I", k)[0]: struct.unpack("=Q", v)[0] for k, v in bpftool.dump(m.id).items()}


def test_batch_support_says_which_path_runs(make_map: MakeMap, batch_native: bool) -> None:
    h = make_map(HashMap, key=u32, value=u64, max_entries=8)
    a = make_map(ArrayMap, value=u64, max_entries=8)
    hs, ars = h.batch_support, a.batch_support
    if batch_native:
        assert (hs.lookup, hs.lookup_and_delete, hs.update, hs.delete) == (True, True, True, True)
        assert hs.reason == "every batch command works for this map"
        assert (ars.lookup, ars.update, ars.lookup_and_delete, ars.delete) == (True, True, False, False)
        assert (
            ars.reason == "lookup_and_delete, delete: this map type has no such batch op (those run element by element)"
        )
    else:
        assert not any((hs.lookup, hs.lookup_and_delete, hs.update, hs.delete))
        assert "run element by element" in hs.reason


@pytest.mark.parametrize(
    "make_input",
    [
        lambda n: {k: k * 10 for k in range(n)},
        lambda n: [(k, k * 10) for k in range(n)],
        lambda n: ((k, k * 10) for k in range(n)),
        lambda n: (list(range(n)), [k * 10 for k in range(n)]),
        lambda n: {k: k * 10 for k in range(n)}.items(),
        lambda n: zip(range(n), [k * 10 for k in range(n)], strict=False),
        lambda n: zip(range(n), (k * 10 for k in range(n)), strict=False),
        lambda n: (array.array("I", range(n)), array.array("Q", range(0, 10 * n, 10))),
    ],
    ids=["mapping", "pairs", "generator", "keys_and_values", "dict_items", "zip", "zip_generator", "arrays"],
)
@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_every_input_form_writes_everything(
    make_map: MakeMap, cls: type[HashMap[int, int]], make_input: Callable[[int], Any]
) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=1000)
    given = make_input(500)
    written = m.update_many(*given) if isinstance(given, tuple) else m.update_many(given)
    assert written == 500
    assert contents(m) == {k: k * 10 for k in range(500)}


def test_empty_input_writes_nothing(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8)
    assert m.update_many({}) == 0
    assert m.update_many(iter(())) == 0
    assert contents(m) == {}


def test_array_update_many(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=6)
    assert a.update_many({1: 10, 3: 30, 5: 50}) == 3
    assert contents(a) == {0: 0, 1: 10, 2: 0, 3: 30, 4: 0, 5: 50}


def test_duplicate_keys_the_last_value_wins(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8)
    assert m.update_many([(7, 1), (7, 2), (7, 3)]) == 3
    assert contents(m) == {7: 3}


def test_full_hash_map_stops_where_the_kernel_stops(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, name="full")
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many((k, k) for k in range(12))
    error = caught.value
    assert (error.applied, error.failed_key) == (8, 8)
    assert isinstance(error.__cause__, MapFullError)
    assert "update_many on hash map 'full'" in str(error)
    assert "stopped at key 8 after 8 element(s) took effect" in str(error)
    assert "map full" in str(error)
    assert contents(m) == {k: k for k in range(8)}


def test_full_map_existing_keys_still_update_until_the_new_one(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=3)
    m.update_many({1: 1, 2: 2, 3: 3})
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many([(1, 10), (2, 20), (99, 99), (3, 30)])
    assert (caught.value.applied, caught.value.failed_key) == (2, 99)
    assert contents(m) == {1: 10, 2: 20, 3: 3}


@pytest.mark.parametrize("flag", [UpdateFlags.NOEXIST, UpdateFlags.EXIST])
def test_noexist_and_exist_stop_at_the_conflict(make_map: MakeMap, flag: UpdateFlags) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16)
    m[3] = 300
    expected_error: type[Exception]
    if flag == UpdateFlags.NOEXIST:
        batch, expected_error, applied_before = [(1, 1), (2, 2), (3, 3), (4, 4)], KeyExistsError, {1: 1, 2: 2}
    else:
        m.update_many({1: 100, 2: 200})
        batch, expected_error, applied_before = [(1, 1), (2, 2), (5, 5), (3, 3)], KeyNotFoundError, {1: 1, 2: 2}
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(batch, flags=flag)
    assert caught.value.applied == 2
    assert caught.value.failed_key == batch[2][0]
    assert isinstance(caught.value.__cause__, expected_error)
    assert contents(m) == {**applied_before, 3: 300}


def test_bad_values_are_refused_before_anything_is_written(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=100_000)
    items = [(k, k) for k in range(70_000)] + [(70_000, -1)] + [(k, k) for k in range(70_001, 70_010)]
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many(items)
    assert (caught.value.applied, caught.value.failed_key) == (0, 70_000)
    assert isinstance(caught.value.__cause__, CodecError)
    assert "u64 cannot encode -1" in str(caught.value)
    assert len(m) == 0


@pytest.mark.parametrize("bad", [9, 4, -1])
def test_array_index_out_of_range_is_refused_before_anything_is_written(make_map: MakeMap, bad: int) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=4)
    with pytest.raises(BatchUpdateError) as caught:
        a.update_many([(0, 1), (1, 1), (bad, 1), (2, 1)])
    assert (caught.value.applied, caught.value.failed_key) == (0, bad)
    assert isinstance(caught.value.__cause__, ArrayIndexError)
    assert isinstance(caught.value.__cause__, IndexError)
    assert contents(a) == {0: 0, 1: 0, 2: 0, 3: 0}


def test_a_stream_is_written_chunk_by_chunk_and_reports_progress_across_chunks(make_map: MakeMap) -> None:
    chunk = ChunkPolicy().write(4, 8)
    a = make_map(ArrayMap, value=u64, max_entries=2 * chunk + 100)
    reader = BpfMap.from_id(a.id, key=u32, value=u64)
    seen_when_streaming: list[int] = []

    def stream() -> Iterator[tuple[int, int]]:
        for index in range(2 * chunk + 10):
            if index == 2 * chunk + 5:
                seen_when_streaming.append(sum(1 for value in reader.values() if value))
            yield index, index + 1
        yield 2 * chunk + 100, 1  # out of range: refused before the third chunk's syscall

    try:
        with pytest.raises(BatchUpdateError) as caught:
            a.update_many(stream())
    finally:
        reader.close()
    # a chunk is written while the next is read from the stream: when the third is read, the
    # first is in the map and the second may be on its way, wholly or in part
    assert chunk <= seen_when_streaming[0] <= 2 * chunk
    assert (caught.value.applied, caught.value.failed_key) == (2 * chunk, 2 * chunk + 100)
    assert isinstance(caught.value.__cause__, ArrayIndexError)
    held = contents(a)
    assert all(held[i] == i + 1 for i in range(2 * chunk))
    assert all(held[i] == 0 for i in range(2 * chunk, 2 * chunk + 100))


def test_frozen_map_refuses_the_first_element(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8)
    m[1] = 1
    m.freeze()
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many({2: 2, 3: 3})
    assert (caught.value.applied, caught.value.failed_key) == (0, 2)
    assert isinstance(caught.value.__cause__, BpfPermissionError)
    assert "frozen" in str(caught.value)
    assert contents(m) == {1: 1}


def test_lru_never_fills_up(make_map: MakeMap) -> None:
    m = make_map(LruHashMap, key=u32, value=u64, max_entries=64)
    assert m.update_many((k, k) for k in range(200)) == 200
    held = contents(m)
    assert len(held) <= 64
    assert held[199] == 199


def test_bad_arguments(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8)
    with pytest.raises(BpfArgumentError, match="2 keys but 3 values"):
        m.update_many([1, 2], [1, 2, 3])
    with pytest.raises(BpfArgumentError, match="two sequences"):
        m.update_many({1: 1}, [1])
    with pytest.raises(BpfArgumentError, match="exclude each other"):
        m.update_many({1: 1}, flags=3)
    with pytest.raises(BpfArgumentError, match="unknown update flags"):
        m.update_many({1: 1}, flags=8)
    with pytest.raises(BatchUpdateError) as caught:
        m.update_many([(1, 1), (2,)])
    assert isinstance(caught.value.__cause__, BpfArgumentError)
    assert "expected (key, value) pairs (2-tuples), got (2,)" in str(caught.value)
    for not_a_pair in ({"key": 1, "value": 2}, "ab", b"\x01\x02", range(2)):  # of length 2, but not pairs
        with pytest.raises(BatchUpdateError, match="expected \\(key, value\\) pairs"):
            m.update_many([(1, 1), not_a_pair])
    assert contents(m) == {}
    Pair = collections.namedtuple("Pair", "key value")
    assert m.update_many([Pair(3, 4)]) == 1
    with pytest.raises(BpfArgumentError, match="value codec is 4294967296 bytes"):
        HashMap.create(key=u32, value=raw(1 << 32), max_entries=1)
    with pytest.raises(BpfSyscallError, match="too large for this kernel"):
        HashMap.create(key=u32, value=raw(4 << 20), max_entries=1)
