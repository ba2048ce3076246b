"""Local storage maps on the real kernel: a value per socket, task, file and cgroup, written through
one descriptor of the object and read through another (the independent path: the kernel finds the
object, not the fd number)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    AttachType,
    BpfMap,
    BpfProgram,
    CgroupArrayMap,
    CgroupStorageKey,
    CgroupStorageMap,
    CgrpStorageMap,
    InodeStorageMap,
    KeyNotFoundError,
    NotSupportedError,
    PerCpuCgroupStorageMap,
    ProgType,
    SkStorageMap,
    TaskStorageMap,
    asm,
    field,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap

pytestmark = pytest.mark.needs_kernel("5.11", "socket, inode and task storage, cgroup storage")


@attrs.frozen
class Seen:
    packets: int = field(u64)
    mark: int = field(u32)


def test_a_value_per_socket(make_map: MakeMap) -> None:
    storage = make_map(SkStorageMap, value=Seen, name="per_socket")
    with socket.socket() as first, socket.socket() as second:
        storage[first] = Seen(3, 7)
        again = os.dup(first.fileno())
        try:
            assert storage[again] == Seen(3, 7)  # another fd of the same socket
        finally:
            os.close(again)
        assert first in storage
        assert second not in storage
        with pytest.raises(NotSupportedError):
            list(storage)  # the kernel cannot list local storage
        del storage[first]
        with pytest.raises(KeyNotFoundError):
            storage[first]
    with BpfMap.from_id(storage.id) as reopened:
        assert (type(reopened), repr(reopened.value_codec)) == (SkStorageMap, "Seen")


def test_a_value_per_task(make_map: MakeMap) -> None:
    storage = make_map(TaskStorageMap, value=u64)
    child = subprocess.Popen(["sleep", "30"])
    try:
        with open_pidfd(os.getpid()) as mine, open_pidfd(child.pid) as theirs:
            storage[mine] = 1
            storage[theirs] = 2
        with open_pidfd(os.getpid()) as mine, open_pidfd(child.pid) as theirs:
            assert (storage[mine], storage[theirs]) == (1, 2)
    finally:
        child.kill()
        child.wait()


@pytest.mark.needs_kernel("6.2", "cgroup local storage, BPF_MAP_TYPE_CGRP_STORAGE")
def test_a_value_per_file_and_per_cgroup(make_map: MakeMap, tmp_path: Path) -> None:
    files = make_map(InodeStorageMap, value=u64)
    (tmp_path / "f").write_text("x")
    with (tmp_path / "f").open() as reader:
        files[reader] = 11
    with (tmp_path / "f").open() as other_reader:
        assert files[other_reader] == 11
    cgroups = make_map(CgrpStorageMap, value=u64)
    with cgroup2(tmp_path / "cg") as root:
        first = os.open(root, os.O_RDONLY)
        second = os.open(root, os.O_RDONLY)
        try:
            cgroups[first] = 42
            assert cgroups[second] == 42
            del cgroups[second]
            assert first not in cgroups
        finally:
            os.close(first)
            os.close(second)


@contextlib.contextmanager
def open_pidfd(pid: int) -> Iterator[int]:
    """A pidfd of process *pid* for the block."""
    fd = os.pidfd_open(pid)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def cgroup2(where: Path) -> Iterator[Path]:
    """A cgroup v2 hierarchy mounted at *where* for the block: its root cgroup's directory."""
    where.mkdir()
    subprocess.run(["mount", "-t", "cgroup2", "none", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


UNDER_CGROUP = 37  # enum bpf_func_id: bpf_current_task_under_cgroup


def test_a_cgroup_array_tells_a_program_where_the_task_is(make_map: MakeMap, tmp_path: Path) -> None:
    cgroups = make_map(CgroupArrayMap, max_entries=2, name="cgroups")
    program: list[asm.Item] = [*asm.ld_map(asm.R1, cgroups), asm.mov(asm.R2, 0), asm.call(UNDER_CGROUP), asm.exit()]
    with cgroup2(tmp_path / "cg") as root, BpfProgram.load(program, ProgType.RAW_TRACEPOINT, name="under") as asks:
        (root / "child").mkdir()
        whole, child = os.open(root, os.O_RDONLY), os.open(root / "child", os.O_RDONLY)
        try:
            cgroups[0] = whole
            assert asks.run_with_arguments() == 1  # this process is in the hierarchy's root cgroup
            cgroups[0] = child
            assert asks.run_with_arguments() == 0  # ... and not in the child
            with pytest.raises(NotSupportedError):
                cgroups[0]  # the kernel answers no lookups of cgroup arrays from user space
            del cgroups[0]
            assert asks.run_with_arguments() >= 1 << 31  # an empty slot: a negative errno, neither answer
        finally:
            os.close(whole)
            os.close(child)
            (root / "child").rmdir()


GET_LOCAL_STORAGE = 81  # enum bpf_func_id: bpf_get_local_storage
SENDER = """
import socket, sys
sys.stdin.readline()  # wait to be moved into the cgroup
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
    for _ in range(int(sys.argv[1])):
        out.sendto(b"x", ("127.0.0.1", int(sys.argv[2])))
"""


def counting(storage: Any) -> BpfProgram:
    """A cgroup_skb program: add 1 to its cgroup's storage (u64 at offset 0), let the packet go."""
    program: list[asm.Item] = [
        *asm.ld_map(asm.R1, storage),
        asm.mov(asm.R2, 0),
        asm.call(GET_LOCAL_STORAGE),
        asm.load(asm.R1, asm.R0, 0, 8),
        asm.alu(asm.R1, "+", 1),
        asm.store(asm.R0, 0, asm.R1, 8),
        asm.mov(asm.R0, 1),
        asm.exit(),
    ]
    return BpfProgram.load(program, ProgType.CGROUP_SKB, name="per_cgroup")


def send_from(cgroup: Path, datagrams: int) -> None:
    """*datagrams* UDP datagrams sent to a closed local port by a process placed in *cgroup*."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        port = sink.getsockname()[1]
        command = [sys.executable, "-c", SENDER, str(datagrams), str(port)]
        with subprocess.Popen(command, stdin=subprocess.PIPE, text=True) as sender:
            (cgroup / "cgroup.procs").write_text(str(sender.pid))
            sender.communicate("go\n", timeout=30)
        assert sender.returncode == 0


@pytest.mark.parametrize("kind", [CgroupStorageMap, PerCpuCgroupStorageMap])
def test_a_cgroup_program_counts_into_its_cgroup_storage(make_map: MakeMap, tmp_path: Path, kind: type[Any]) -> None:
    storage = make_map(kind, value=u64, name="per_cgroup")

    def total(key: Any) -> int:
        held = storage[key]
        return int(held.sum()) if kind is PerCpuCgroupStorageMap else int(held)

    with cgroup2(tmp_path / "cg") as root, counting(storage) as program:
        app = root / "app"
        app.mkdir()
        try:
            with program.attach_cgroup(app, AttachType.CGROUP_INET_EGRESS):
                key = (app, AttachType.CGROUP_INET_EGRESS)
                assert total(key) == 0  # made when the program was attached
                send_from(app, 5)
                assert total(key) == 5
                assert list(storage) == [CgroupStorageKey(os.stat(app).st_ino, AttachType.CGROUP_INET_EGRESS)]
                storage[key] = 100 if kind is CgroupStorageMap else [100] + [0] * (len(storage[key]) - 1)
                send_from(app, 2)
                assert total((os.stat(app).st_ino, AttachType.CGROUP_INET_EGRESS)) == 102  # the id works as well
        finally:
            app.rmdir()


def test_shared_cgroup_storage_is_keyed_by_the_cgroup_alone(make_map: MakeMap, tmp_path: Path) -> None:
    storage = make_map(CgroupStorageMap, value=u64, shared=True)
    assert storage.info.key_size == 8
    with cgroup2(tmp_path / "cg") as root, counting(storage) as program:
        app = root / "app"
        app.mkdir()
        try:
            with program.attach_cgroup(app, AttachType.CGROUP_INET_EGRESS):
                send_from(app, 3)
                assert storage[app] == 3
                assert list(storage) == [os.stat(app).st_ino]
        finally:
            app.rmdir()
