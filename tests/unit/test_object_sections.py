"""Program sections read as libbpf reads them: type, expected attach type and target."""

from __future__ import annotations

import pytest

from pybpfmaps import AttachType, ProgType
from pybpfmaps.objects import ProgramKind, program_kind


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        ("xdp", ProgramKind(ProgType.XDP, AttachType.XDP)),
        ("xdp/devmap", ProgramKind(ProgType.XDP, AttachType.XDP_DEVMAP)),
        ("tc", ProgramKind(ProgType.SCHED_CLS, None)),
        ("classifier", ProgramKind(ProgType.SCHED_CLS, None)),
        ("tcx/ingress", ProgramKind(ProgType.SCHED_CLS, AttachType.TCX_INGRESS)),
        ("socket", ProgramKind(ProgType.SOCKET_FILTER, None)),
        ("kprobe/do_unlinkat", ProgramKind(ProgType.KPROBE, None, "do_unlinkat")),
        ("kretprobe/do_unlinkat", ProgramKind(ProgType.KPROBE, None, "do_unlinkat")),
        ("tracepoint/syscalls/sys_enter_openat", ProgramKind(ProgType.TRACEPOINT, None, "syscalls/sys_enter_openat")),
        ("tp/sched/sched_switch", ProgramKind(ProgType.TRACEPOINT, None, "sched/sched_switch")),
        ("raw_tp/sched_switch", ProgramKind(ProgType.RAW_TRACEPOINT, None, "sched_switch")),
        ("fentry/do_unlinkat", ProgramKind(ProgType.TRACING, AttachType.TRACE_FENTRY, "do_unlinkat")),
        ("fexit/do_unlinkat", ProgramKind(ProgType.TRACING, AttachType.TRACE_FEXIT, "do_unlinkat")),
        ("cgroup_skb/ingress", ProgramKind(ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS)),
        ("cgroup_skb/egress", ProgramKind(ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS)),
        ("lsm/file_open", ProgramKind(ProgType.LSM, AttachType.LSM_MAC, "file_open")),
        ("sk_msg", ProgramKind(ProgType.SK_MSG, AttachType.SK_MSG_VERDICT)),
        ("fentry.s/do_unlinkat", ProgramKind(ProgType.TRACING, AttachType.TRACE_FENTRY, "do_unlinkat", 1 << 4)),
        ("lsm.s/bprm_check_security", ProgramKind(ProgType.LSM, AttachType.LSM_MAC, "bprm_check_security", 1 << 4)),
        ("xdp.frags", ProgramKind(ProgType.XDP, AttachType.XDP, "", 1 << 5)),
    ],
)
def test_a_section_says_the_programs_type(section: str, kind: ProgramKind) -> None:
    assert program_kind(section) == kind


@pytest.mark.parametrize("section", [".text", ".maps", "license", ".rodata", "xdpx", "kprobes/x", ".BTF"])
def test_other_sections_hold_no_program(section: str) -> None:
    assert program_kind(section) is None


def test_a_bare_prefix_is_a_program_without_a_target() -> None:
    assert program_kind("kprobe") == ProgramKind(ProgType.KPROBE, None)
