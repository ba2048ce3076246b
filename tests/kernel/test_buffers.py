"""Maps whose contents are not elements: created, reopened as their own class, described as bpftool
describes them; sizes checked before anything reaches the kernel."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest

from pybpfmaps import (
    ArenaMap,
    BpfArgumentError,
    BpfSyscallError,
    MapCore,
    NotSupportedError,
    PerfEventArrayMap,
    RingBufMap,
    UserRingBufMap,
)
from pybpfmaps._sys.cpus import possible_cpus
from tests.kernel.conftest import MakeMap
from tests.support import bpftool


@pytest.mark.parametrize(
    ("cls", "arguments", "bpftool_type"),
    [
        (RingBufMap, {"size": 8192}, "ringbuf"),
        (UserRingBufMap, {"size": 4096}, "user_ringbuf"),
        (ArenaMap, {"pages": 4}, "arena"),
        (PerfEventArrayMap, {}, "perf_event_array"),
    ],
)
def test_created_reopened_and_described(
    make_map: MakeMap, cls: type[Any], arguments: dict[str, Any], bpftool_type: str
) -> None:
    m = make_map(cls, name="buffer", **arguments)
    shown = bpftool.show(m.id)
    assert shown["type"] in (bpftool_type, int(cls.map_type))  # an older bpftool names newer types by number
    assert shown["max_entries"] == arguments.get("size", arguments.get("pages", possible_cpus()))
    with MapCore.from_id(m.id) as reopened:
        assert type(reopened) is cls
        assert repr(reopened).startswith(f"<{cls.__name__} 'buffer' id={m.id} ")


def test_ring_buffer_sizes_are_checked_first() -> None:
    for size in (0, 1000, 4096 + 4096 * 2, True):
        with pytest.raises(BpfArgumentError, match="power of 2"):
            RingBufMap.create(size=size)


def test_a_perf_event_array_takes_only_perf_events(make_map: MakeMap) -> None:
    events = make_map(PerfEventArrayMap)
    read, write = os.pipe()
    try:
        with pytest.raises(BpfSyscallError) as refused:
            events[0] = read  # not a perf event: the kernel refuses it
        assert refused.value.errno == errno.EBADF
    finally:
        os.close(read)
        os.close(write)
    with pytest.raises(NotSupportedError):
        events[0]  # and answers no lookups
