"""Per-CPU maps: one value per possible CPU, 8-byte slots, broadcasting a single value, and sums."""

from __future__ import annotations

import statistics
import struct

import attrs
import pytest

from pybpfmaps import (
    BpfMap,
    CodecError,
    LruPerCpuHashMap,
    PerCpuArrayMap,
    PerCpuHashMap,
    PerCpuValues,
    u32,
    u64,
)
from pybpfmaps._sys import commands
from pybpfmaps._sys.cpus import count_cpus, possible_cpus
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "per-CPU hash, LRU and array maps with BTF")

CPUS = possible_cpus()


@attrs.frozen
class Counters:
    packets: int = u64()
    drops: int = u32()


def k(n: int) -> bytes:
    return struct.pack("=I", n)


def test_possible_cpus_reads_the_kernel_mask() -> None:
    assert count_cpus("0-3,8-11") == 8
    assert count_cpus("0\n") == 1
    with open("/sys/devices/system/cpu/possible") as mask:
        assert count_cpus(mask.read()) == CPUS


def test_values_are_one_per_possible_cpu(make_map: MakeMap) -> None:
    m = make_map(PerCpuHashMap, key=u32, value=u64, max_entries=8, name="pkts")
    values = list(range(10, 10 + CPUS))
    m[1] = values
    m[2] = 7  # one value for every CPU
    assert m[1] == PerCpuValues(values)
    assert isinstance(m[1], PerCpuValues)
    assert m[2] == (7,) * CPUS
    assert m[1].sum() == sum(values)
    assert bpftool.dump_percpu(m.id) == {
        k(1): [struct.pack("=Q", v) for v in values],
        k(2): [struct.pack("=Q", 7)] * CPUS,
    }
    assert repr(m) == f"<PerCpuHashMap 'pkts' id={m.id} key=u32 value=percpu(u64) max_entries=8>"
    with pytest.raises(CodecError, match="expected one per possible CPU"):
        m[3] = [1] * (CPUS + 1)


def test_slots_are_8_byte_aligned_and_padding_is_zero(make_map: MakeMap) -> None:
    m = make_map(PerCpuArrayMap, value=u32, max_entries=2)
    m[1] = list(range(1, CPUS + 1))
    raw = commands.map_lookup_elem(m.fileno(), k(1), 8 * CPUS)
    assert raw == b"".join(struct.pack("=I", cpu + 1) + bytes(4) for cpu in range(CPUS))
    assert m[0] == (0,) * CPUS
    assert len(m) == 2
    assert bpftool.dump_percpu(m.id)[k(1)] == [struct.pack("=I", cpu + 1) for cpu in range(CPUS)]


def test_struct_values_sum_field_by_field(make_map: MakeMap) -> None:
    m = make_map(LruPerCpuHashMap, key=u32, value=Counters, max_entries=16)
    m[9] = [Counters(cpu + 1, cpu) for cpu in range(CPUS)]
    total = m[9].sum()
    assert total == Counters(sum(range(1, CPUS + 1)), sum(range(CPUS)))
    m[10] = Counters(5, 1)
    assert m[10] == (Counters(5, 1),) * CPUS


def test_values_reduce_by_max_min_mean_or_any_function(make_map: MakeMap) -> None:
    m = make_map(PerCpuArrayMap, value=Counters, max_entries=2)
    per_cpu = [Counters(10 * cpu + 1, CPUS - cpu) for cpu in range(CPUS)]
    m[0] = per_cpu
    m[1] = Counters(4, 4)
    packets = [c.packets for c in per_cpu]
    assert m[0].max() == Counters(max(packets), CPUS)
    assert m[0].min() == Counters(1, 1)
    assert m[0].mean() == {"packets": statistics.fmean(packets), "drops": (CPUS + 1) / 2}
    assert m[0].reduce(statistics.median) == {"packets": statistics.median(packets), "drops": (CPUS + 1) / 2}
    assert m[1].reduce(len) == {"packets": CPUS, "drops": CPUS}
    counts = make_map(PerCpuArrayMap, value=u64, max_entries=1)
    counts[0] = [cpu * cpu for cpu in range(CPUS)]
    assert (counts[0].max(), counts[0].min()) == ((CPUS - 1) ** 2, 0)
    assert counts[0].mean() == statistics.fmean(cpu * cpu for cpu in range(CPUS))
    assert counts[0].reduce(sorted) == [cpu * cpu for cpu in range(CPUS)]


def test_bulk_operations(make_map: MakeMap, batch_native: bool) -> None:
    m = make_map(PerCpuHashMap, key=u32, value=u64, max_entries=1000)
    assert m.update_many({n: [n + cpu for cpu in range(CPUS)] for n in range(500)}) == 500
    assert m.batch_support.update is batch_native
    snapshot = m.copy()
    assert snapshot == {n: tuple(n + cpu for cpu in range(CPUS)) for n in range(500)}
    assert len(bpftool.dump_percpu(m.id)) == 500
    assert m.lookup_many([3, 999]) == [tuple(3 + cpu for cpu in range(CPUS)), None]
    assert m.delete_many(range(250)) == 250
    drained = m.drain()
    assert sorted(drained) == list(range(250, 500))
    assert bpftool.dump_percpu(m.id) == {}
    a = make_map(PerCpuArrayMap, value=u64, max_entries=100)
    a.update_many({i: i for i in range(100)})
    assert dict(a.items()) == {i: (i,) * CPUS for i in range(100)}


def test_opened_per_cpu_maps_wrap_their_values(make_map: MakeMap) -> None:
    m = make_map(PerCpuHashMap, key=u32, value=u64, max_entries=4)
    m[1] = 3
    with BpfMap.from_id(m.id, key=u32, value=u64) as opened:
        assert type(opened) is PerCpuHashMap
        assert opened[1].sum() == 3 * CPUS
    with BpfMap.from_id(m.id, btf=False) as raw_opened:
        assert raw_opened[k(1)] == (struct.pack("=Q", 3),) * CPUS
