"""Random sequences of single and bulk operations on real maps agree with a Python model (hypothesis).

Hash and array maps follow a dict exactly. LRU maps may evict, so their model is capacity-aware:
every key in the map holds the value last written to it, the newest key is there, deleted keys
are gone, and the map never holds more than max_entries. These also run in the emulated-kernel
child processes, where every bulk operation goes element by element.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pybpfmaps import (
    ArrayIndexError,
    ArrayMap,
    BatchDeleteError,
    BatchUpdateError,
    BpfMap,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    LruHashMap,
    MapFlags,
    MapFullError,
    UpdateFlags,
    u16,
    u32,
)
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash, LRU and array maps with BTF")

CAPACITY = 6
keys = st.integers(0, 12)
values = st.integers(0, 2**32 - 1)
flags = st.sampled_from([UpdateFlags.ANY, UpdateFlags.NOEXIST, UpdateFlags.EXIST])
pairs = st.lists(st.tuples(keys, values), max_size=10)


def raw_view(m: BpfMap[Any, Any]) -> dict[int, int]:
    """The map's contents read through a second fd with raw codecs (not the object under test)."""
    with BpfMap.from_id(m.id, btf=False) as other:
        return {struct.unpack("=H", k)[0]: struct.unpack("=I", v)[0] for k, v in other.items()}


def dumped(m: BpfMap[Any, Any]) -> dict[int, int]:
    return {struct.unpack("=H", k)[0]: struct.unpack("=I", v)[0] for k, v in bpftool.dump(m.id).items()}


def hash_outcome(model: dict[int, int], key: int, flag: UpdateFlags, capacity: int) -> type[Exception] | None:
    """The error a hash map gives for writing *key* with *flag*, or None if it writes."""
    present = key in model
    if flag == UpdateFlags.NOEXIST and present:
        return KeyExistsError
    if flag == UpdateFlags.EXIST and not present:
        return KeyNotFoundError
    if not present and len(model) >= capacity:
        return MapFullError
    return None


class HashMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # A fixed hash seed makes popitem/pop_many pick the same keys when hypothesis replays a case.
        self.map: HashMap[int, int] = HashMap.create(key=u16, value=u32, max_entries=CAPACITY, flags=MapFlags.ZERO_SEED)
        self.model: dict[int, int] = {}

    @rule(key=keys, value=values, flag=flags)
    def put(self, key: int, value: int, flag: UpdateFlags) -> None:
        error = hash_outcome(self.model, key, flag, CAPACITY)
        if error is None:
            self.map.put(key, value, flag)
            self.model[key] = value
        else:
            with pytest.raises(error):
                self.map.put(key, value, flag)

    @rule(items=pairs, flag=flags)
    def update_many(self, items: list[tuple[int, int]], flag: UpdateFlags) -> None:
        expected = dict(self.model)
        for applied, (key, value) in enumerate(items):
            error = hash_outcome(expected, key, flag, CAPACITY)
            if error is not None:
                with pytest.raises(BatchUpdateError) as caught:
                    self.map.update_many(items, flags=flag)
                assert (caught.value.applied, caught.value.failed_key) == (applied, key)
                assert isinstance(caught.value.__cause__, error)
                self.model = expected
                return
            expected[key] = value
        assert self.map.update_many(items, flags=flag) == len(items)
        self.model = expected

    @rule(key=keys)
    def delete(self, key: int) -> None:
        if key in self.model:
            del self.map[key]
            del self.model[key]
        else:
            with pytest.raises(KeyNotFoundError):
                del self.map[key]

    @rule(to_delete=st.lists(keys, max_size=8), missing_ok=st.booleans())
    def delete_many(self, to_delete: list[int], missing_ok: bool) -> None:
        expected = 0
        for key in to_delete:
            if key in self.model:
                del self.model[key]
                expected += 1
            elif not missing_ok:
                with pytest.raises(BatchDeleteError) as caught:
                    self.map.delete_many(to_delete)
                assert (caught.value.applied, caught.value.failed_key) == (expected, key)
                return
        assert self.map.delete_many(to_delete, missing_ok=missing_ok) == expected

    @rule(key=keys)
    def pop(self, key: int) -> None:
        assert self.map.pop(key, None) == self.model.pop(key, None)

    @rule(count=st.integers(0, 8))
    def pop_many(self, count: int) -> None:
        popped = self.map.pop_many(count)
        assert len(popped) == min(count, len(self.model))
        for key, value in popped.items():
            assert self.model.pop(key) == value

    @rule()
    def drain(self) -> None:
        assert self.map.drain() == self.model
        self.model.clear()

    @rule(key=keys, value=values)
    def setdefault(self, key: int, value: int) -> None:
        if key not in self.model and len(self.model) == CAPACITY:
            with pytest.raises(MapFullError):
                self.map.setdefault(key, value)
        else:
            assert self.map.setdefault(key, value) == self.model.setdefault(key, value)

    @precondition(lambda self: self.model)
    @rule()
    def popitem(self) -> None:
        key, value = self.map.popitem()
        assert self.model.pop(key) == value

    @rule(wanted=st.lists(keys, max_size=6))
    def lookup_many(self, wanted: list[int]) -> None:
        assert self.map.lookup_many(wanted) == [self.model.get(key) for key in wanted]
        assert all((key in self.map) == (key in self.model) for key in wanted)

    @invariant()
    def same_contents(self) -> None:
        assert self.map.copy() == self.model
        assert raw_view(self.map) == self.model
        assert len(self.map) == len(self.model)

    def teardown(self) -> None:
        try:
            assert dumped(self.map) == self.model
        finally:
            self.map.close()


class LruMachine(RuleBasedStateMachine):
    """LRU maps evict as they please; check only what the kernel promises, then follow the map."""

    def __init__(self) -> None:
        super().__init__()
        self.map: LruHashMap[int, int] = LruHashMap.create(key=u16, value=u32, max_entries=CAPACITY)
        self.model: dict[int, int] = {}
        self.newest: int | None = None
        self.removed: set[int] = set()

    @rule(key=keys, value=values)
    def put(self, key: int, value: int) -> None:
        self.map[key] = value
        self.model[key] = value
        self.newest, self.removed = key, self.removed - {key}

    @rule(items=st.lists(st.tuples(keys, values), min_size=1, max_size=10))
    def update_many(self, items: list[tuple[int, int]]) -> None:
        assert self.map.update_many(items) == len(items)
        self.model.update(items)
        self.newest, self.removed = items[-1][0], self.removed - {key for key, _ in items}

    @rule(to_delete=st.lists(keys, max_size=8))
    def delete_many(self, to_delete: list[int]) -> None:
        self.map.delete_many(to_delete, missing_ok=True)
        self.removed |= set(to_delete)
        self.newest = None if self.newest in self.removed else self.newest

    @rule()
    def drain(self) -> None:
        drained = self.map.drain()
        assert all(self.model[key] == value for key, value in drained.items())
        self.removed |= set(drained)
        self.newest = None

    @invariant()
    def only_what_the_kernel_promises(self) -> None:
        actual = self.map.copy()
        assert len(actual) <= CAPACITY
        assert all(self.model.get(key) == value for key, value in actual.items())
        assert not set(actual) & self.removed
        if self.newest is not None:
            assert self.newest in actual
        assert raw_view(self.map) == actual
        self.model = dict(actual)

    def teardown(self) -> None:
        try:
            assert dumped(self.map) == self.model
        finally:
            self.map.close()


class ArrayMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.map: ArrayMap[int] = ArrayMap.create(value=u32, max_entries=CAPACITY)
        self.model = [0] * CAPACITY

    @rule(index=keys, value=values, flag=flags)
    def put(self, index: int, value: int, flag: UpdateFlags) -> None:
        if index >= CAPACITY:
            with pytest.raises(ArrayIndexError):
                self.map.put(index, value, flag)
        elif flag == UpdateFlags.NOEXIST:
            with pytest.raises(KeyExistsError):
                self.map.put(index, value, flag)
        else:
            self.map.put(index, value, flag)
            self.model[index] = value

    @rule(items=st.lists(st.tuples(keys, values), min_size=1, max_size=10), flag=flags)
    def update_many(self, items: list[tuple[int, int]], flag: UpdateFlags) -> None:
        out_of_range = [index for index, _ in items if index >= CAPACITY]
        if out_of_range or flag == UpdateFlags.NOEXIST:
            with pytest.raises(BatchUpdateError) as caught:
                self.map.update_many(items, flags=flag)
            assert caught.value.applied == 0  # indexes are checked before any write; NOEXIST fails at once
            assert caught.value.failed_key == (out_of_range[0] if out_of_range else items[0][0])
            return
        assert self.map.update_many(items, flags=flag) == len(items)
        for index, value in items:
            self.model[index] = value

    @rule(index=keys)
    def get(self, index: int) -> None:
        expected = self.model[index] if index < CAPACITY else None
        assert self.map.get(index) == expected

    @invariant()
    def same_contents(self) -> None:
        assert list(self.map.values()) == self.model
        assert self.map.copy() == dict(enumerate(self.model))

    def teardown(self) -> None:
        try:
            dumped_array = bpftool.dump(self.map.id)
            assert [struct.unpack("=I", dumped_array[struct.pack("=I", i)])[0] for i in range(CAPACITY)] == self.model
        finally:
            self.map.close()


SETTINGS = settings(max_examples=30, stateful_step_count=30, deadline=None)
TestHashModel = SETTINGS(HashMachine).TestCase
TestLruModel = SETTINGS(LruMachine).TestCase
TestArrayModel = SETTINGS(ArrayMachine).TestCase
