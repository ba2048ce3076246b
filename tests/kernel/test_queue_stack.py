"""Queues, stacks and bloom filters on the real kernel: the scenarios of the kernel's own
``test_maps.c`` (``test_queuemap``, ``test_stackmap``), values a BPF program pushes, and the
bloom filter's promise of no false negatives; maps of types without a class open as ``GenericMap``."""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    BatchUpdateError,
    BloomFilterMap,
    BpfArgumentError,
    BpfMap,
    BpfProgram,
    CodecError,
    GenericMap,
    MapCore,
    MapEmptyError,
    MapFullError,
    NotSupportedError,
    ProgType,
    QueueMap,
    StackMap,
    asm,
    field,
    u16,
    u32,
    u64,
)
from pybpfmaps._sys import commands
from pybpfmaps.flags import MapType
from pybpfmaps.maps import _registry
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.16", "queue, stack and bloom filter maps")

SIZE = 32


@attrs.frozen
class Event:
    pid: int = field(u32)
    kind: int = field(u16)


@pytest.mark.parametrize(("cls", "order"), [(QueueMap, "fifo"), (StackMap, "lifo")])
def test_the_kernels_queue_and_stack_scenarios(make_map: MakeMap, cls: type[QueueMap[Any]], order: str) -> None:
    m = make_map(cls, value=u32, max_entries=SIZE)
    values = list(range(1000, 1000 + SIZE))
    assert m.pop(None) is None
    with pytest.raises(MapEmptyError):
        m.peek()
    assert not m
    assert m.extend(values) == SIZE
    with pytest.raises(MapFullError):  # full: E2BIG
        m.push(7)
    m.push(7, evict=True)  # BPF_EXIST: the oldest value makes room
    held = [*values[1:], 7]
    expected = held if order == "fifo" else held[::-1]
    assert m.peek() == expected[0]
    assert m
    assert [m.pop() for _ in range(SIZE)] == expected
    with pytest.raises(MapEmptyError) as empty:
        m.pop()
    assert isinstance(empty.value, IndexError)
    assert empty.value.errno == errno.ENOENT


def test_iterating_drains_in_pop_order(make_map: MakeMap) -> None:
    q = make_map(QueueMap, value=Event, max_entries=8)
    s = make_map(StackMap, value=Event, max_entries=8)
    events = [Event(pid, pid % 3) for pid in (10, 20, 30)]
    q.extend(events)
    s.extend(events)
    assert list(q) == events
    assert s.drain() == events[::-1]
    assert q.pop(None) is None
    assert s.pop(None) is None


def test_bad_values_push_nothing_and_a_failure_says_how_many_went_in(make_map: MakeMap) -> None:
    q = make_map(QueueMap, value=u32, max_entries=3)
    with pytest.raises(CodecError):
        q.extend([1, 2, -1])
    assert q.pop(None) is None
    with pytest.raises(BatchUpdateError) as stopped:
        q.extend([1, 2, 3, 4, 5])
    assert (stopped.value.applied, stopped.value.failed_key) == (3, 4)
    assert isinstance(stopped.value.__cause__, MapFullError)
    assert q.drain() == [1, 2, 3]


def test_values_a_bpf_program_pushes_come_out_in_order(make_map: MakeMap) -> None:
    q = make_map(QueueMap, value=u64, max_entries=16)
    program = [
        asm.store_imm(asm.R10, -8, 0x5EED, 8),  # value = 0x5EED on the stack
        *asm.ld_map(asm.R1, q),
        asm.mov_reg(asm.R2, asm.R10),
        asm.alu(asm.R2, "+", -8),
        asm.mov(asm.R3, 0),  # BPF_ANY
        asm.call(asm.MAP_PUSH_ELEM),
        asm.mov(asm.R0, 2),  # XDP_PASS
        asm.exit(),
    ]
    with BpfProgram.load(program, ProgType.XDP, name="pusher") as pusher:
        q.push(1)
        pusher.test_run(bytes(64), repeat=3)
    assert q.drain() == [1, 0x5EED, 0x5EED, 0x5EED]


def test_queues_reopen_by_id_and_pin_and_refuse_keys(make_map: MakeMap) -> None:
    q = make_map(QueueMap, value=u32, max_entries=4, name="q_reopen")
    q.push(5)
    with MapCore.from_id(q.id) as same:
        assert type(same) is QueueMap
        assert same.peek() == (5).to_bytes(4, sys.byteorder)  # queues take no BTF: raw bytes unless told
    with QueueMap.from_id(q.id, value=u32) as typed:
        assert typed.peek() == 5
    with pytest.raises(BpfArgumentError, match="open it with QueueMap or MapCore"):
        BpfMap.from_id(q.id)
    with pytest.raises(BpfArgumentError, match="has no keys"):
        QueueMap.from_id(q.id, key=u32)
    assert repr(q) == f"<QueueMap 'q_reopen' id={q.id} value=u32 max_entries=4>"


def test_a_bloom_filter_has_no_false_negatives(make_map: MakeMap) -> None:
    bloom = make_map(BloomFilterMap, value=u64, max_entries=1000, hashes=3)
    added = [n * 7919 for n in range(1000)]
    assert bloom.update(added) == 1000
    bloom.add(-1 & (2**64 - 1))
    assert all(value in bloom for value in added)
    assert (2**64 - 1) in bloom
    others = sum(value in bloom for value in range(1, 10_000, 2) if value % 7919)
    assert others < 2500  # a filter that answered "maybe" to everything would fail
    assert bloom.hashes == 3
    assert bloom.info.map_extra == 3
    with pytest.raises(BpfArgumentError, match="hashes must be"):
        BloomFilterMap.create(value=u32, max_entries=8, hashes=16)


def test_types_without_a_class_open_as_generic_maps(make_map: MakeMap, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(_registry._classes, int(MapType.RINGBUF))  # as a type added after this version
    fd = commands.map_create(int(MapType.RINGBUF), 0, 0, 4096, 0, b"generic_rb")
    with BpfMap.from_fd(fd) as ring:
        assert type(ring) is GenericMap
        assert repr(ring) == f"<GenericMap[ringbuf] 'generic_rb' id={ring.id} key=raw(0) value=raw(0) max_entries=4096>"
        assert ring.info.type == MapType.RINGBUF
        with pytest.raises(NotSupportedError):
            list(ring)
        assert bpftool.show(ring.id)["type"] == "ringbuf"
    os.close(fd)
