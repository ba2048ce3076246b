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
    Btf,
    MapCore,
    NotSupportedError,
    PerfEventArrayMap,
    RingBufMap,
    StructOpsMap,
    UserRingBufMap,
)
from pybpfmaps._sys import commands, syscall, uapi
from pybpfmaps._sys.cpus import possible_cpus
from pybpfmaps.btf.format import Builder
from pybpfmaps.flags import MapType
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.8", "ring buffer maps")


@pytest.mark.parametrize(
    ("cls", "arguments", "bpftool_type"),
    [
        (RingBufMap, {"size": 8192}, "ringbuf"),
        (UserRingBufMap, {"size": 4096}, "user_ringbuf"),
        pytest.param(ArenaMap, {"pages": 4}, "arena", marks=pytest.mark.needs_kernel("6.9", "arena maps")),
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


def test_a_struct_ops_map_made_as_loaders_make_it_opens_as_its_class() -> None:
    """A struct_ops map is made from a kernel BTF type (and a BTF fd of the loader's object, here a
    one-type blob); pybpfmaps opens it, names it and says which kernel type it implements."""
    kernel = Btf.load("/sys/kernel/btf/vmlinux")
    value_type = kernel.type_id("bpf_struct_ops_bpf_dummy_ops")
    builder = Builder()
    builder.int_type("int", 4, signed=True)
    btf_fd = commands.btf_load(builder.blob())
    attr = uapi.MapCreateAttr(
        map_type=int(MapType.STRUCT_OPS), key_size=4, value_size=kernel.types[value_type].size, max_entries=1,
        btf_fd=btf_fd, btf_vmlinux_value_type_id=value_type, map_name=b"dummy_ops",
    )  # fmt: skip
    try:
        fd = syscall.bpf(uapi.BPF_MAP_CREATE, attr)
    finally:
        os.close(btf_fd)
    try:
        with MapCore.from_fd(fd) as ops:
            assert type(ops) is StructOpsMap
            assert ops.info.btf_vmlinux_value_type_id == value_type
            assert repr(ops) == f"<StructOpsMap 'dummy_ops' id={ops.id} max_entries=1>"
            assert bpftool.show(ops.id)["type"] == "struct_ops"
    finally:
        os.close(fd)
