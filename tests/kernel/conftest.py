"""Fixtures for the tests that run against the real kernel (every item here is marked ``kernel``)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import IPRoute, netns

from pybpfmaps import BpfMap
from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.syscall import RawBpfError
from tests.support import traffic
from tests.support.terminal import Terminal

MakeMap = Callable[..., Any]
"""The type of the ``make_map`` fixture: ``make_map(HashMap, key=u32, value=u64, max_entries=8)``."""


@pytest.fixture(scope="session")
def bpffs_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh bpf filesystem for the session.

    * **Name**: bpffs_root
    * **Scope**: session
    * **Yields**: the mount point, a new ``mount -t bpf bpf DIR``; unmounted at the end.
    """
    path = tmp_path_factory.mktemp("bpffs")
    subprocess.run(["mount", "-t", "bpf", "bpf", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def bpffs(bpffs_root: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory of its own on the session's bpf filesystem; whatever is pinned in it is removed after.

    * **Name**: bpffs
    * **Scope**: function
    * **Yields**: a directory on a bpf filesystem, e.g. ``bpffs / "flows"`` is a pin path;
      sub-directories are removed too.
    """
    # bpffs refuses names with dots in them
    directory = bpffs_root / re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:200]
    directory.mkdir()
    try:
        yield directory
    finally:
        _remove_pins(directory)


def _remove_pins(directory: Path) -> None:
    """Unpins everything under *directory*, sub-directories included, and removes it."""
    for entry in directory.iterdir():
        if entry.is_dir():
            _remove_pins(entry)
        else:
            entry.unlink()
    directory.rmdir()


@pytest.fixture
def bpf_commands(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every bpf(2) command this process issues during the test, by number (``uapi.BPF_MAP_CREATE``...).

    * **Name**: bpf_commands
    * **Scope**: function
    * **Yields**: a list the test reads: "nothing was created" is ``BPF_MAP_CREATE not in bpf_commands``,
      true whatever other processes create meanwhile.
    """
    issued: list[int] = []
    real = commands.bpf  # type: ignore[attr-defined]

    def recording(cmd: int, attr: Any) -> int:
        issued.append(cmd)
        return real(cmd, attr)

    monkeypatch.setattr(commands, "bpf", recording)
    return issued


@pytest.fixture
def make_map() -> Iterator[MakeMap]:
    """Create maps that are closed when the test ends.

    * **Name**: make_map
    * **Scope**: function
    * **Usage**: ``m = make_map(HashMap, key=u32, value=u64, max_entries=8)``
    """
    made: list[BpfMap[Any, Any]] = []

    def make(cls: type[BpfMap[Any, Any]], **kwargs: Any) -> Any:
        new = cls.create(**kwargs)
        made.append(new)
        return new

    yield make
    for each in made:
        each.close()


def open_fds() -> set[str]:
    """The numbers of this process's open descriptors."""
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def no_fd_leaks() -> Iterator[None]:
    """Fails a test that leaves a descriptor open (every map object must be closed or its fd released)."""
    before = open_fds()
    yield
    leaked = {fd for fd in open_fds() - before if "anon_inode:bpf" in _target(fd)}
    assert not leaked, f"BPF descriptors leaked: {sorted(leaked)}"


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


@pytest.fixture(scope="session")
def batch_native() -> bool:
    """Whether this run sees the kernel's batch commands: probed, not assumed from a version.

    * **Name**: batch_native
    * **Scope**: session
    * **Yields**: ``True`` on kernels with BPF_MAP_LOOKUP_BATCH for hash maps (5.6+); ``False`` on
      older ones and in the child runs of test_emulated_kernels.py, where a seccomp filter fails
      commands 24-27 with EINVAL (a pre-5.6 kernel) or 524 (a map type without batch ops).
    """
    fd = commands.map_create(uapi.BPF_MAP_TYPE_HASH, 4, 4, 1, 0, b"")
    try:
        commands.map_batch_probe(fd, uapi.BPF_MAP_LOOKUP_BATCH)
    except RawBpfError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.fixture
def veth() -> Iterator[tuple[str, str]]:
    """A veth pair: pbmA<pid> here (``traffic.HERE``/24) and pbmB<pid> (``traffic.THERE``/24) in a new namespace.

    * **Name**: veth
    * **Scope**: function
    * **Yields**: (namespace name, name of the interface in it); both are removed afterwards.
    """
    ns, here, there = f"pbm{os.getpid()}", f"pbmA{os.getpid() % 100000}", f"pbmB{os.getpid() % 100000}"
    netns.create(ns)
    try:
        with IPRoute() as ipr:
            ipr.link("add", ifname=here, kind="veth", peer={"ifname": there, "net_ns_fd": ns})
            index = ipr.link_lookup(ifname=here)[0]
            ipr.addr("add", index=index, address=traffic.HERE, prefixlen=24)
            ipr.link("set", index=index, state="up")
        with IPRoute(netns=ns) as inside:
            index = inside.link_lookup(ifname=there)[0]
            inside.addr("add", index=index, address=traffic.THERE, prefixlen=24)
            inside.link("set", index=index, state="up")
            inside.link("set", index=inside.link_lookup(ifname="lo")[0], state="up")
        yield ns, there
    finally:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=here)
            if found:
                ipr.link("del", index=found[0])
        netns.remove(ns)


@pytest.fixture
def on_one_cpu() -> Iterator[None]:
    """This thread runs on one CPU meanwhile, so every perf sample lands in one ring, in order."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    yield
    os.sched_setaffinity(0, before)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """A shell in a terminal of its own (tmux), closed at the end."""
    made = Terminal()
    yield made
    made.close()
