"""CO-RE relocations against the running kernel's BTF: a program that reads ``task_struct`` through
types of its own (other field order, other sizes) reads what the kernel holds, its relocated
constants are what clang computes from ``bpftool btf dump ... format c`` of the same kernel, its
instructions are the ones libbpf makes of it, and a relocation that finds nothing is named."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pybpfmaps import BpfArgumentError, BpfObject, VerifierError
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("5.8", "CO-RE against /sys/kernel/btf/vmlinux, tp_btf programs")


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(clang.SOURCES / "tasks.bpf.c", tmp_path_factory.mktemp("tasks"))


LAYOUT = """
#include "vmlinux.h"
const volatile unsigned int task_size = sizeof(struct task_struct);
const volatile unsigned int tgid_offset = __builtin_offsetof(struct task_struct, tgid);
const volatile unsigned int sid = PIDTYPE_SID;
"""


def test_a_task_read_through_local_types_is_what_the_kernel_holds(tasks: Path, tmp_path: Path) -> None:
    obj = BpfObject.open(tasks)
    obj.rodata.traced = os.getpid()
    with obj.load():
        obj.attach("on_exec")
        child = subprocess.Popen(["/bin/true"])
        assert child.wait() == 0
        seen = obj.bss.seen
    assert (seen.calls, seen.pid, seen.tgid, seen.parent_tgid, seen.comm) == (
        1,
        child.pid,
        child.pid,
        os.getpid(),
        "true",
    )
    assert seen.personality == int(Path("/proc/self/personality").read_text(), 16)  # the child's, inherited
    assert (seen.has_no_such_field, seen.has_pid) == (0, 1)
    # what clang makes of the kernel's own types, written out by bpftool: an independent reading of its BTF
    (tmp_path / "vmlinux.h").write_text(bpftool.text("btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"))
    (tmp_path / "layout.bpf.c").write_text(LAYOUT)
    layout = BpfObject.open(clang.build(tmp_path / "layout.bpf.c", tmp_path)).rodata
    assert (seen.task_size, seen.tgid_offset, seen.sid) == (layout.task_size, layout.tgid_offset, layout.sid)
    assert seen.sid != 99  # the local enum's value, which the relocation replaced


def test_the_relocated_instructions_are_those_libbpf_makes(tasks: Path, bpffs: Path) -> None:
    loaded = clang.load(tasks, bpffs / "bpftool")
    with BpfObject.load(tasks) as ours:
        for name, program in ours.programs.items():
            theirs = bpftool.text("prog", "dump", "xlated", "pinned", str(loaded / "prog" / name))
            mine = bpftool.text("prog", "dump", "xlated", "id", str(program.id))
            assert _without_ids(mine) == _without_ids(theirs), name


def _without_ids(dump: str) -> str:
    """An xlated dump with the map ids and addresses that differ between two loads left out."""
    return re.sub(r"map\[id:\d+\]|0x[0-9a-f]{8,16}|#\d+", "_", dump)


UNRESOLVED = """
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct___old {
	int pid;
	long removed_long_ago;		/* in no kernel */
} __attribute__((preserve_access_index));

__u64 out;

SEC("tp_btf/sched_process_exec")
int reads_a_missing_field(unsigned long long *ctx)
{
	struct task_struct___old *task = (void *)ctx[0];

	out = task->removed_long_ago;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""


def test_a_relocation_that_finds_nothing_is_named(tmp_path: Path) -> None:
    (tmp_path / "unresolved.bpf.c").write_text(UNRESOLVED)
    with pytest.raises(VerifierError) as refused:
        BpfObject.load(clang.build(tmp_path / "unresolved.bpf.c", tmp_path))
    assert "CO-RE relocations that found nothing in this kernel's BTF: field_byte_offset of struct " in str(
        refused.value
    )
    assert "task_struct___old.removed_long_ago" in str(refused.value)


def test_kprobes_read_the_task_where_the_kernel_has_them(tasks: Path, tmp_path: Path) -> None:
    obj = BpfObject.open(tasks)
    obj.rodata.traced = os.getpid()
    with obj.load():
        if not Path("/sys/bus/event_source/devices/kprobe").exists():  # a kernel built without CONFIG_KPROBES
            with pytest.raises(BpfArgumentError, match="this kernel has no kprobe PMU"):
                obj.attach("probe_unlink")
            return
        link = obj.attach("probe_unlink")
        assert link.link_type == "perf_event"
        (tmp_path / "gone").touch()
        (tmp_path / "gone").unlink()
        probed = obj.bss.probed
    assert (probed.calls, probed.pid, probed.tgid) == (1, os.getpid(), os.getpid())
    assert probed.parent_tgid == os.getppid()
    assert probed.comm == Path("/proc/self/comm").read_text().strip()
