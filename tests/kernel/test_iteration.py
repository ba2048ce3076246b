"""Key iteration: each key once, termination, and bounded behaviour while the map changes under it.

Iteration reads with BPF_MAP_LOOKUP_BATCH where the kernel has it and walks with GET_NEXT_KEY
where not; the tests check both readers (``reader`` fixture) against the same guarantees, and
the walk's own restart handling directly.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pybpfmaps import HashMap, IterationAbortedError, LruHashMap, u32, u64
from pybpfmaps.maps import _snapshot
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash and LRU maps with BTF")

KINDS = [HashMap, LruHashMap]
Reader = Callable[[HashMap[Any, Any]], Iterator[Any]]


def walk(m: HashMap[Any, Any]) -> Iterator[Any]:
    """The GET_NEXT_KEY walk, whatever the kernel offers."""
    return map(m.key_codec.unpack, m._handle.raw_keys())


@pytest.fixture(params=["iter", "walk"])
def reader(request: pytest.FixtureRequest) -> Reader:
    """``iter(m)`` (batch reads where the kernel has them) or the GET_NEXT_KEY walk."""
    return iter if request.param == "iter" else walk


def keys_in_kernel(map_id: int) -> set[int]:
    return {struct.unpack("=I", key)[0] for key in bpftool.dump(map_id)}


@pytest.mark.parametrize("cls", KINDS)
def test_empty_map_iterates_to_nothing(make_map: MakeMap, cls: type[HashMap[int, int]]) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=8)
    assert list(m) == []
    assert list(m.items()) == []
    assert len(m) == 0


@pytest.mark.parametrize("cls", KINDS)
def test_walk_of_1000_keys_sees_each_exactly_once(
    make_map: MakeMap, cls: type[HashMap[int, int]], reader: Reader
) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=4096)
    m.update((n, n) for n in range(1000))
    walked = list(reader(m))
    assert len(walked) == 1000
    assert set(walked) == keys_in_kernel(m.id) == set(range(1000))


def test_updating_every_value_during_the_walk_keeps_the_count(make_map: MakeMap, reader: Reader) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=1000)
    m.update((n, n) for n in range(1000))
    seen = []
    for key in reader(m):
        m.put(key, key + 1)
        seen.append(key)
    assert Counter(seen) == Counter(range(1000))
    assert dict(m.items()) == {n: n + 1 for n in range(1000)}


def test_deleting_each_yielded_key_visits_every_key_once(make_map: MakeMap, reader: Reader) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=512)
    m.update((n, n) for n in range(500))
    seen = []
    for key in reader(m):
        seen.append(key)
        del m[key]
    assert Counter(seen) == Counter(range(500))
    assert bpftool.dump(m.id) == {}


@pytest.mark.parametrize("size", [40, 3000])
def test_deleting_some_yielded_keys_visits_every_key_once(make_map: MakeMap, size: int, reader: Reader) -> None:
    # docs/kernel-notes.md#get-next-key: a naive GET_NEXT_KEY walk made 325 visits for 40 keys; restarting from the
    # first key after every deletion would make 3000 keys exceed the walk's step limit.
    m = make_map(HashMap, key=u32, value=u64, max_entries=size + size // 2)
    m.update((n, n) for n in range(size))
    seen = []
    for key in reader(m):
        seen.append(key)
        if key % 2 == 0:
            del m[key]
    assert Counter(seen) == Counter(range(size))
    assert keys_in_kernel(m.id) == set(range(1, size, 2))


def test_walked_items_skip_keys_deleted_between_walk_and_lookup(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=64)
    m.update((n, n * 10) for n in range(20))
    pairs = []
    for key, value in _snapshot.walk(m._handle):
        pairs.append((key, value))
        for other in range(20):  # delete everything else the moment the first pair arrives
            if other != key:
                m.pop(other, None)
    assert len(pairs) == 1
    assert pairs[0][1] == pairs[0][0] * 10


CHURN = """
import sys, time
from pybpfmaps import HashMap, u32, u64
m = HashMap.from_id(int(sys.argv[1]), key=u32, value=u64)
print("ready", flush=True)
n = 0
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    key = 10_000 + n % 300
    if n % 2:
        m.pop(key, None)
    else:
        m[key] = n
    n += 1
"""


def test_walk_terminates_without_duplicates_while_another_process_churns(make_map: MakeMap, reader: Reader) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=2048)
    stable = set(range(500))
    m.update((n, n) for n in stable)
    writer = subprocess.Popen([sys.executable, "-c", CHURN, str(m.id)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(0.05)
        for _ in range(20):
            walked = list(reader(m))
            counts = Counter(walked)
            assert max(counts.values()) == 1, "a key was yielded twice"
            assert stable <= set(walked), "a key present throughout the walk was missed"
            assert set(walked) - stable <= set(range(10_000, 10_300))
        assert writer.poll() is None, "the writer stopped early; the walks did not overlap with churn"
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()


def test_walk_gives_up_on_a_map_rewritten_faster_than_it_is_read(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, name="churned")
    m.update((n, n) for n in range(8))
    fresh = iter(range(100, 1_000_000))
    yielded = 0

    def walk_while_replacing_every_key() -> None:
        nonlocal yielded
        for _ in walk(m):
            yielded += 1
            m.clear()
            m.update((next(fresh), 0) for _ in range(8))

    with pytest.raises(IterationAbortedError, match=r"iteration over hash map 'churned' .* aborted after 96 steps"):
        walk_while_replacing_every_key()
    assert 8 < yielded <= 96


@pytest.mark.parametrize("cls", KINDS)
def test_dict_of_the_map_and_lookups_after_a_pass(make_map: MakeMap, cls: type[HashMap[int, int]]) -> None:
    """dict(m) reads the map once and gives what the kernel holds; a lookup after a pass over the keys
    never answers with a value older than this object's own write (docs/api.md#iteration)."""
    m = make_map(cls, key=u32, value=u64, max_entries=4096)
    m.update_many({n: n * 7 for n in range(3000)})
    held = {struct.unpack("=I", k)[0]: struct.unpack("=Q", v)[0] for k, v in bpftool.dump(m.id).items()}
    assert dict(m) == held == m.copy()
    assert len(list(m)) == len(m) == len(held)
    other = HashMap.from_id(m.id, key=u32, value=u64)
    try:
        keys = list(m.keys())
        m[keys[0]] = 1  # this object's own write: answered from the kernel
        other[keys[1]] = 2  # another writer: a lookup in the pass's order may answer from the pass
        assert m[keys[0]] == 1
        assert m[keys[1]] == 2
        batch_read = m.batch_support.lookup  # without batch reads, the walk reads no values: all from the kernel
        before = {struct.unpack("=I", k)[0]: struct.unpack("=Q", v)[0] for k, v in bpftool.dump(m.id).items()}
        keys = list(m.keys())
        other[keys[0]] = 3
        other[keys[2]] = 4
        assert m[keys[0]] == (before[keys[0]] if batch_read else 3)  # as the pass read it, moments ago
        assert m[keys[2]] == 4  # out of order: from the kernel, and the pass's answers end
        assert m[keys[1]] == before[keys[1]]
        assert m[keys[0]] == 3
    finally:
        other.close()
