"""Bulk reads and removals: snapshots, drain, pop_many, clear and lookup_many.

The kernel's behaviour is in docs/kernel-notes.md#batch-reads; the scenarios follow the kernel's
own selftests of batch operations.

Run natively (LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH) and in the emulated-kernel child runs
(element by element), with the same expectations.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import tracemalloc
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    ArrayMap,
    BpfMap,
    CodecError,
    DrainError,
    HashMap,
    KeyCollisionError,
    LruHashMap,
    boolean,
    raw,
    string,
    u8,
    u32,
    u64,
)
from pybpfmaps.maps import _handle
from pybpfmaps.maps._handle import ChunkPolicy
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash, LRU and array maps with BTF; batch commands if there")


def contents(m: BpfMap[Any, Any]) -> dict[int, int]:
    return {struct.unpack("=I", k)[0]: struct.unpack("=Q", v)[0] for k, v in bpftool.dump(m.id).items()}


@pytest.fixture(params=[1, 2, 3, 5, 9, None], ids=lambda n: f"chunk{n}" if n else "chunkdefault")
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int | None:
    """Reads in chunks of 1..9 elements (ENOSPC growth on hash buckets), or the default size."""
    if request.param is not None:
        monkeypatch.setattr(_handle, "CHUNKS", ChunkPolicy(write_elements=request.param, read_elements=request.param))
    value: int | None = request.param
    return value


@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_snapshots_hold_every_element_once(make_map: MakeMap, cls: type[HashMap[int, int]], chunk: int | None) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=10)
    m.update_many({k: k + 1 for k in range(10)})
    assert m.copy() == {k: k + 1 for k in range(10)}
    assert sorted(m.items()) == [(k, k + 1) for k in range(10)]
    assert sorted(m) == list(range(10))
    assert sorted(m.keys()) == list(range(10))
    assert sorted(m.values()) == list(range(1, 11))
    assert len(m) == 10
    assert dict(m) == dict(m.items()) == contents(m)


def test_empty_map_reads_nothing(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=10)
    assert (m.copy(), list(m.items()), len(m), m.drain(), m.pop_many(5)) == ({}, [], 0, {}, {})


def test_array_reads_in_index_order(make_map: MakeMap, chunk: int | None) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=10)
    a.update_many({k: k * 2 for k in range(10)})
    assert list(a.items()) == [(k, k * 2) for k in range(10)]
    assert list(a.values()) == [k * 2 for k in range(10)]
    assert a.copy() == contents(a)


@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_drain_returns_everything_and_empties_the_map(
    make_map: MakeMap, cls: type[HashMap[int, int]], chunk: int | None
) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=256)
    m.update_many({k: k * 3 for k in range(256)})
    assert m.drain() == {k: k * 3 for k in range(256)}
    assert contents(m) == {}
    assert m.drain() == {}


def test_pop_many_removes_what_it_returns(make_map: MakeMap, chunk: int | None) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=10)
    m.update_many({k: k for k in range(10)})
    first = m.pop_many(3)
    assert len(first) == 3
    assert all(first[k] == k for k in first)
    assert contents(m) == {k: k for k in range(10) if k not in first}
    singles: dict[int, int] = {}
    while one := m.pop_many(1):
        assert len(one) == 1
        singles.update(one)
    assert sorted([*first, *singles]) == list(range(10))
    assert m.pop_many(0) == {}
    assert contents(m) == {}


def test_clear_empties_the_map(make_map: MakeMap, chunk: int | None) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=100)
    m.update_many({k: k for k in range(100)})
    m.clear()
    assert contents(m) == {}


def test_lookup_many(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=10)
    m.update_many({1: 10, 3: 30})
    assert m.lookup_many([1, 2, 3]) == [10, None, 30]
    assert m.lookup_many((k for k in [3, 9]), default=-1) == [30, -1]
    with pytest.raises(CodecError, match="u32 cannot encode -5"):
        m.lookup_many([1, -5])


WRITER = """
import sys
from pybpfmaps import HashMap, u32, u64
m = HashMap.from_id(int(sys.argv[1]), key=u32, value=u64)
print("ready", flush=True)
for k in range(100_000, 100_000 + int(sys.argv[2])):
    m[k] = k
print("done", flush=True)
"""


def test_drain_under_concurrent_inserts_ends_and_loses_nothing(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=50_000)
    m.update_many({k: k for k in range(20_000)})
    inserts = 20_000
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(m.id), str(inserts)], stdout=subprocess.PIPE, text=True
    )
    drained: dict[int, int] = {}
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while writer.poll() is None and time.monotonic() < deadline:
            drained.update(m.drain())  # each drain is one pass: it ends although the writer goes on
        assert writer.wait(timeout=60) == 0
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    left = contents(m)
    assert not set(drained) & set(left)
    assert {**drained, **left} == {k: k for k in [*range(20_000), *range(100_000, 100_000 + inserts)]}


def test_abandoned_reads_leave_no_reader_behind(make_map: MakeMap, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(_handle, "CHUNKS", ChunkPolicy(read_elements=16))
    m = make_map(HashMap, key=u32, value=u64, max_entries=1000)
    m.update_many({k: k for k in range(1000)})
    before = threading.active_count()
    for _ in range(20):
        taken = []
        for key in m:
            taken.append(key)
            if len(taken) == 40:
                break
        assert len(set(taken)) == 40
    assert threading.active_count() == before
    assert sorted(m) == list(range(1000))


def test_read_errors_reach_the_caller(make_map: MakeMap, bpffs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pybpfmaps import BpfPermissionError

    monkeypatch.setattr(_handle, "CHUNKS", ChunkPolicy(read_elements=4))
    m = make_map(HashMap, key=u32, value=u64, max_entries=100)
    m.update_many({k: k for k in range(100)})
    with BpfMap.from_id(m.id, writeonly=True, key=u32, value=u64) as blind:
        with pytest.raises(BpfPermissionError, match="write-only"):
            blind.copy()
        with pytest.raises(BpfPermissionError, match="write-only"):
            list(blind)


@attrs.frozen
class Padded:
    kind: int = u8()  # three bytes of padding follow, which C code may leave as garbage
    port: int = u32()


def test_keys_that_decode_equal_are_never_merged(make_map: MakeMap, chunk: int | None) -> None:
    """Two kernel keys differing only in an attrs layout's padding: copy() refuses to pick one,
    drain() and pop_many() return one and carry the other's bytes; nothing is lost."""
    for remove in ("copy", "drain", "pop_many"):
        m = make_map(HashMap, key=Padded, value=u64, max_entries=16)
        raw_keys = [bytes([7, 0, 0, 0]) + struct.pack("=I", 80), bytes([7, 0xAA, 0, 0]) + struct.pack("=I", 80)]
        with BpfMap.from_id(m.id, key=raw(8), value=u64) as raw_view:  # what a C program could store
            raw_view.update_many({raw_keys[0]: 1, raw_keys[1]: 2, bytes(8): 3})
        assert len(list(m)) == 3  # iteration yields every kernel key
        if remove == "copy":
            with pytest.raises(KeyCollisionError, match=r"both decode to Padded\(kind=7, port=80\)") as info:
                m.copy()
            assert sorted(info.value.raw_keys) == sorted(raw_keys)
            assert len(bpftool.dump(m.id)) == 3
            continue
        with pytest.raises(DrainError, match="could not be returned decoded") as failed:
            m.drain() if remove == "drain" else m.pop_many(10)
        assert isinstance(failed.value.__cause__, KeyCollisionError)
        removed, undecoded = failed.value.removed, failed.value.undecoded
        assert removed[Padded(0, 0)] == 3
        [(raw_key, raw_value)] = undecoded
        assert {removed[Padded(7, 80)], struct.unpack("=Q", raw_value)[0]} == {1, 2}
        assert raw_key in raw_keys
        assert bpftool.dump(m.id) == {}  # all three removed, all three accounted for


def test_strings_and_bools_other_writers_stored_stay_distinct_keys(make_map: MakeMap) -> None:
    names = make_map(HashMap, key=string(8), value=u64, max_entries=8)
    flags = make_map(HashMap, key=boolean, value=u64, max_entries=8)
    with (
        BpfMap.from_id(names.id, value=u64, btf=False) as raw_names,
        BpfMap.from_id(flags.id, value=u64, btf=False) as raw_flags,
    ):
        raw_names.update_many({b"ab\0\x01\0\0\0\0": 1, b"ab\0\x02\0\0\0\0": 2, b"ab" + bytes(6): 3})
        raw_flags.update_many({b"\x01": 1, b"\x02": 2})
    assert names.copy() == {b"ab\0\x01\0\0\0\0": 1, b"ab\0\x02\0\0\0\0": 2, "ab": 3}
    assert flags.drain() == {True: 1, 2: 2}
    assert names.drain() == {b"ab\0\x01\0\0\0\0": 1, b"ab\0\x02\0\0\0\0": 2, "ab": 3}


def test_absurd_counts_allocate_for_what_the_map_holds(make_map: MakeMap, chunk: int | None) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16)
    m.update_many({k: k for k in range(16)})
    tracemalloc.start()
    try:
        popped = m.pop_many(10**10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert popped == {k: k for k in range(16)}
    assert peak < 1 << 20, f"pop_many(10**10) of 16 elements allocated {peak} bytes"
    big = make_map(HashMap, key=u32, value=u64, max_entries=5000)
    big.update_many({k: k for k in range(5000)})
    assert len(big.pop_many(4321)) == 4321  # more than one chunk: in chunks, not one buffer of 4321
    assert len(big) == 679
