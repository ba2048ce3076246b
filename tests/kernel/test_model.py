"""Random sequences of element operations on real maps agree with a Python dict model (hypothesis)."""

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
    BpfMap,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    MapFullError,
    UpdateFlags,
    u16,
    u32,
)
from tests import bpftool

CAPACITY = 6
keys = st.integers(0, 12)
values = st.integers(0, 2**32 - 1)
flags = st.sampled_from([UpdateFlags.ANY, UpdateFlags.NOEXIST, UpdateFlags.EXIST])


def raw_view(m: BpfMap[Any, Any]) -> dict[int, int]:
    """The map's contents read through a second fd with raw codecs (not the object under test)."""
    with BpfMap.from_id(m.id) as other:
        return {struct.unpack("=H", k)[0]: struct.unpack("=I", v)[0] for k, v in other.items()}


class HashMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.map: HashMap[int, int] = HashMap.create(key=u16, value=u32, max_entries=CAPACITY)
        self.model: dict[int, int] = {}

    @rule(key=keys, value=values, flag=flags)
    def put(self, key: int, value: int, flag: UpdateFlags) -> None:
        present = key in self.model
        if flag == UpdateFlags.NOEXIST and present:
            with pytest.raises(KeyExistsError):
                self.map.put(key, value, flag)
        elif flag == UpdateFlags.EXIST and not present:
            with pytest.raises(KeyNotFoundError):
                self.map.put(key, value, flag)
        elif not present and len(self.model) == CAPACITY:
            with pytest.raises(MapFullError):
                self.map.put(key, value, flag)
        else:
            self.map.put(key, value, flag)
            self.model[key] = value

    @rule(key=keys)
    def delete(self, key: int) -> None:
        if key in self.model:
            del self.map[key]
            del self.model[key]
        else:
            with pytest.raises(KeyNotFoundError):
                del self.map[key]

    @rule(key=keys)
    def pop(self, key: int) -> None:
        assert self.map.pop(key, None) == self.model.pop(key, None)

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

    @rule(key=keys)
    def get(self, key: int) -> None:
        assert self.map.get(key) == self.model.get(key)
        assert (key in self.map) == (key in self.model)

    @invariant()
    def same_contents(self) -> None:
        assert dict(self.map.items()) == self.model
        assert raw_view(self.map) == self.model
        assert len(self.map) == len(self.model)

    def teardown(self) -> None:
        try:
            dumped = bpftool.dump(self.map.id)
            assert {struct.unpack("=H", k)[0]: struct.unpack("=I", v)[0] for k, v in dumped.items()} == self.model
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

    @rule(index=keys)
    def get(self, index: int) -> None:
        expected = self.model[index] if index < CAPACITY else None
        assert self.map.get(index) == expected

    @invariant()
    def same_contents(self) -> None:
        assert list(self.map.values()) == self.model

    def teardown(self) -> None:
        try:
            dumped = bpftool.dump(self.map.id)
            assert [struct.unpack("=I", dumped[struct.pack("=I", i)])[0] for i in range(CAPACITY)] == self.model
        finally:
            self.map.close()


SETTINGS = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestHashModel = SETTINGS(HashMachine).TestCase
TestArrayModel = SETTINGS(ArrayMachine).TestCase
