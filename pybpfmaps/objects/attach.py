"""Attaching an object's program where its section name says (``SEC("tracepoint/sched/sched_process_exec")``,
``SEC("kprobe/do_unlinkat")``, ``SEC("fentry/do_unlinkat")``...), as libbpf's auto-attach does;
programs that attach to an interface or a cgroup are told to say which."""

from __future__ import annotations

import platform

from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.links import BpfLink
from pybpfmaps.objects.spec import ProgramSpec
from pybpfmaps.program import BpfProgram

SYSCALL_PREFIX = {"x86_64": "__x64_sys_", "aarch64": "__arm64_sys_", "s390x": "__s390x_sys_", "riscv64": "__riscv_sys_"}
"""The prefix of a system call's kernel function (``SEC("ksyscall/unlinkat")``), by machine."""
_TRACING = ("fentry", "fexit", "fmod_ret", "tp_btf", "lsm", "fentry.s", "fexit.s", "lsm.s", "iter")


def can_attach(spec: ProgramSpec) -> bool:
    """Whether the section says where *spec* attaches (so ``attach()`` needs nothing more)."""
    prefix, _, target = spec.section.partition("/")
    return bool(target) and prefix in (*_TRACING, "kprobe", "kretprobe", "ksyscall", "kretsyscall", "tracepoint",
                                       "tp", "raw_tracepoint", "raw_tp", "raw_tracepoint.w", "raw_tp.w")  # fmt: skip


def attach(program: BpfProgram, spec: ProgramSpec) -> BpfLink:
    """Attach *program* where its section says."""
    prefix, _, target = spec.section.partition("/")
    if not can_attach(spec):
        raise BpfArgumentError(_where_to(spec))
    if prefix in _TRACING:
        return program.attach_tracing()
    if prefix in ("tracepoint", "tp"):
        return program.attach_tracepoint(target)
    if prefix.startswith(("raw_tracepoint", "raw_tp")):
        return program.attach_raw_tracepoint(target)
    function, _, offset = target.partition("+")
    if prefix in ("ksyscall", "kretsyscall"):
        function = SYSCALL_PREFIX.get(platform.machine(), "sys_") + function
    return program.attach_kprobe(function, retprobe=prefix.startswith("kret"), offset=int(offset, 0) if offset else 0)


def _where_to(spec: ProgramSpec) -> str:
    name = spec.name
    hints = {
        "xdp": f"programs[{name!r}].attach_xdp_link(interface) or .attach_xdp(interface)",
        "sched_cls": f"programs[{name!r}].attach_tcx(interface, 'ingress' or 'egress') or .attach_tc(...)",
        "cgroup_skb": f"programs[{name!r}].attach_cgroup(path, attach type)",
    }
    if spec.section.startswith(("uprobe", "uretprobe")):
        return f"program {name!r} (SEC({spec.section!r})) is a uprobe: attaching uprobes is not supported yet"
    how = hints.get(spec.type_name, "the BpfProgram method for its kind")
    return f"program {name!r} (SEC({spec.section!r})) does not say where it attaches: use {how}"
