"""No descriptor or memory leaks over many open/close and create/close cycles, counted, not assumed.

Descriptors are counted in /proc/self/fd, memory as the resident set size after a warm-up,
and the kernel's side by asking for each map and BTF object the test made by its id.
"""

from __future__ import annotations

import errno
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pybpfmaps import BpfMap, HashMap
from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from tests.kernel.conftest import MakeMap
from tests.kernel.test_btf import FLOW, STATS, Stats
from tests.support.layouts import Flow

pytestmark = pytest.mark.needs_kernel("4.18", "hash maps with BTF")


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="utf-8") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def settled(measure: Callable[[], float]) -> float:
    gc.collect()
    return measure()


def test_100k_opens_and_closes_leak_nothing(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=8, name="reopened")
    m.pin(bpffs / "reopened")

    def cycle(count: int) -> None:
        for i in range(count):
            if i % 2:
                BpfMap.from_pin(bpffs / "reopened").close()  # typed from the map's BTF
            else:
                with BpfMap.from_fd(m.fileno(), key=Flow, value=Stats) as opened:
                    opened.info  # noqa: B018 - one more syscall on the fd

    cycle(5_000)  # warm-up: caches, allocator arenas
    fds_before, rss_before = fds(), settled(rss_mib)
    cycle(100_000)
    assert fds() == fds_before
    grown = settled(rss_mib) - rss_before
    assert grown < 4, f"resident memory grew by {grown:.1f} MiB over 100k open/close cycles"


def still_alive(map_ids: set[int], btf_ids: set[int]) -> int:
    """How many of these maps and BTF objects the kernel still has (only ours: others come and go meanwhile)."""
    alive = 0
    for ids in (map_ids, btf_ids):
        for object_id in ids:
            try:
                os.close(
                    commands.map_get_fd_by_id(object_id, 0) if ids is map_ids else commands.btf_get_fd_by_id(object_id)
                )
            except RawBpfError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                continue
            alive += 1
    return alive


def test_1k_creates_and_closes_leak_nothing() -> None:
    map_ids: set[int] = set()
    btf_ids: set[int] = set()

    def cycle(count: int) -> None:
        for _ in range(count):
            with HashMap.create(key=Flow, value=Stats, max_entries=16, name="churned") as m:
                m[FLOW] = STATS
                map_ids.add(m.id)
                btf_ids.add(m.info.btf_id)
                with BpfMap.from_id(m.id) as typed:  # classes made from the map's BTF
                    assert len(typed.copy()) == 1

    cycle(50)
    fds_before, rss_before = fds(), settled(rss_mib)
    cycle(1_000)
    assert fds() == fds_before
    grown = settled(rss_mib) - rss_before
    assert grown < 8, f"resident memory grew by {grown:.1f} MiB over 1k create/close cycles"
    assert len(map_ids) == len(btf_ids) == 1_050
    deadline = time.monotonic() + 10
    while still_alive(map_ids, btf_ids) and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel frees maps and BTF after an RCU grace period
    assert still_alive(map_ids, btf_ids) == 0
