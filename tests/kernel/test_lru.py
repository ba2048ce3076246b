"""LRU hash maps on the real kernel: eviction instead of 'map full', and only what the kernel promises."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pybpfmaps import (
    BpfArgumentError,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    LruHashMap,
    MapFlags,
    UpdateFlags,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "LRU hash maps with BTF")


def possible_cpus() -> int:
    count = 0
    for part in Path("/sys/devices/system/cpu/possible").read_text().strip().split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


@pytest.mark.parametrize("max_entries", [1, 8, 100, 1000])
def test_full_lru_evicts_instead_of_failing(make_map: MakeMap, max_entries: int) -> None:
    m = make_map(LruHashMap, key=u32, value=u64, max_entries=max_entries)
    assert isinstance(m, HashMap)
    total = 3 * max_entries
    for n in range(total):
        m[n] = n * 2
    held = bpftool.dump(m.id)
    assert 0 < len(held) <= max_entries
    newest = total - 1
    assert held[struct.pack("=I", newest)] == struct.pack("=Q", newest * 2)
    assert m[newest] == newest * 2
    assert all(struct.unpack("=Q", value)[0] == 2 * struct.unpack("=I", key)[0] for key, value in held.items())
    assert len(m) == len(held)


def test_flags_behave_as_for_a_hash_map(make_map: MakeMap) -> None:
    m = make_map(LruHashMap, key=u32, value=u64, max_entries=16)
    m.put(1, 1, UpdateFlags.NOEXIST)
    with pytest.raises(KeyExistsError):
        m.put(1, 2, UpdateFlags.NOEXIST)
    with pytest.raises(KeyNotFoundError):
        m.put(2, 2, UpdateFlags.EXIST)
    m.put(1, 3, UpdateFlags.EXIST)
    assert m.pop(1) == 3
    assert bpftool.dump(m.id) == {}


def test_no_common_lru_rounds_capacity_to_possible_cpus(make_map: MakeMap) -> None:
    cpus = possible_cpus()
    m = make_map(LruHashMap, key=u32, value=u64, max_entries=3, flags=MapFlags.NO_COMMON_LRU)
    assert m.info.max_entries >= 3
    assert m.info.max_entries % cpus == 0
    assert bpftool.show(m.id)["max_entries"] == m.info.max_entries
    for n in range(20):
        m[n] = n
    held = bpftool.dump(m.id)
    assert len(held) <= m.info.max_entries
    assert struct.pack("=I", 19) in held


def test_no_prealloc_is_refused_before_the_kernel(make_map: MakeMap, bpf_commands: list[int]) -> None:
    with pytest.raises(BpfArgumentError, match=r"lru_hash maps do not take flags .*NO_PREALLOC"):
        make_map(LruHashMap, key=u32, value=u64, max_entries=4, flags=MapFlags.NO_PREALLOC)
    assert bpf_commands == []


def test_lru_repr_and_type(make_map: MakeMap) -> None:
    m = make_map(LruHashMap, key=u32, value=u64, max_entries=4, name="conns")
    assert bpftool.show(m.id)["type"] == "lru_hash"
    assert repr(m) == f"<LruHashMap 'conns' id={m.id} key=u32 value=u64 max_entries=4>"
