"""No descriptor or memory leaks over many open/close and create/close cycles, counted, not assumed.

Descriptors are counted in /proc/self/fd, memory as the resident set size after a warm-up,
and the kernel's side (maps and BTF objects still alive) with bpftool.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pybpfmaps import BpfMap, HashMap
from tests import bpftool
from tests.kernel.test_btf import FLOW, STATS, Stats
from tests.layouts import Flow

MakeMap = Callable[..., Any]


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


def alive(name: str) -> int:
    return sum(1 for info in bpftool.run("map", "list") if info.get("name") == name)


def btf_objects() -> int:
    return len(bpftool.run("btf", "list") or [])


def test_1k_creates_and_closes_leak_nothing() -> None:
    def cycle(count: int) -> None:
        for _ in range(count):
            with HashMap.create(key=Flow, value=Stats, max_entries=16, name="churned") as m:
                m[FLOW] = STATS
                with BpfMap.from_id(m.id) as typed:  # classes made from the map's BTF
                    assert len(typed.copy()) == 1

    cycle(50)
    fds_before, rss_before, btf_before = fds(), settled(rss_mib), btf_objects()
    cycle(1_000)
    assert fds() == fds_before
    grown = settled(rss_mib) - rss_before
    assert grown < 8, f"resident memory grew by {grown:.1f} MiB over 1k create/close cycles"
    deadline = time.monotonic() + 10
    while (alive("churned") or btf_objects() > btf_before) and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel frees maps and BTF after an RCU grace period
    assert alive("churned") == 0
    assert btf_objects() <= btf_before
