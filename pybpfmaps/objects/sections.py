"""What a program's ELF section name says: its program type and expected attach type, as libbpf
reads them (``SEC("xdp")``, ``SEC("kprobe/do_unlinkat")``, ``SEC("cgroup_skb/ingress")``...)."""

from __future__ import annotations

import attrs

from pybpfmaps.flags import AttachType, ProgType


@attrs.frozen
class ProgramKind:
    """A program's type, the attach type the kernel expects at load (or ``None``), and what follows
    the section's prefix (the function a kprobe attaches to, the tracepoint...)."""

    prog_type: ProgType
    attach_type: AttachType | None
    target: str = ""
    flags: int = 0
    """``BPF_PROG_LOAD`` flags the section asks for: sleepable (``fentry.s``...), XDP frags (``xdp.frags``)."""


SLEEPABLE, XDP_HAS_FRAGS = 1 << 4, 1 << 5
"""``BPF_F_SLEEPABLE`` and ``BPF_F_XDP_HAS_FRAGS``."""


_P, _A = ProgType, AttachType
# (prefix, exact: the whole name, not a prefix/...), type, expected attach type; first match wins
_TABLE: tuple[tuple[str, bool, ProgType, AttachType | None], ...] = (
    ("socket", True, _P.SOCKET_FILTER, None),
    ("sk_reuseport/migrate", True, _P.SK_REUSEPORT, _A.SK_REUSEPORT_SELECT_OR_MIGRATE),
    ("sk_reuseport", True, _P.SK_REUSEPORT, _A.SK_REUSEPORT_SELECT),
    ("kprobe", False, _P.KPROBE, None),
    ("kretprobe", False, _P.KPROBE, None),
    ("uprobe", False, _P.KPROBE, None),
    ("uretprobe", False, _P.KPROBE, None),
    ("ksyscall", False, _P.KPROBE, None),
    ("kretsyscall", False, _P.KPROBE, None),
    ("tc/ingress", True, _P.SCHED_CLS, _A.TCX_INGRESS),
    ("tc/egress", True, _P.SCHED_CLS, _A.TCX_EGRESS),
    ("tcx/ingress", True, _P.SCHED_CLS, _A.TCX_INGRESS),
    ("tcx/egress", True, _P.SCHED_CLS, _A.TCX_EGRESS),
    ("tc", True, _P.SCHED_CLS, None),
    ("classifier", True, _P.SCHED_CLS, None),
    ("action", True, _P.SCHED_ACT, None),
    ("tracepoint", False, _P.TRACEPOINT, None),
    ("tp", False, _P.TRACEPOINT, None),
    ("raw_tracepoint.w", False, _P.RAW_TRACEPOINT_WRITABLE, None),
    ("raw_tp.w", False, _P.RAW_TRACEPOINT_WRITABLE, None),
    ("raw_tracepoint", False, _P.RAW_TRACEPOINT, None),
    ("raw_tp", False, _P.RAW_TRACEPOINT, None),
    ("tp_btf", False, _P.TRACING, _A.TRACE_RAW_TP),
    ("fentry", False, _P.TRACING, _A.TRACE_FENTRY),
    ("fmod_ret", False, _P.TRACING, _A.MODIFY_RETURN),
    ("fexit", False, _P.TRACING, _A.TRACE_FEXIT),
    ("fentry.s", False, _P.TRACING, _A.TRACE_FENTRY),
    ("fexit.s", False, _P.TRACING, _A.TRACE_FEXIT),
    ("freplace", False, _P.EXT, None),
    ("lsm", False, _P.LSM, _A.LSM_MAC),
    ("lsm.s", False, _P.LSM, _A.LSM_MAC),
    ("lsm_cgroup", False, _P.LSM, _A.LSM_CGROUP),
    ("iter", False, _P.TRACING, _A.TRACE_ITER),
    ("syscall", True, _P.SYSCALL, None),
    ("xdp.frags/devmap", True, _P.XDP, _A.XDP_DEVMAP),
    ("xdp/devmap", True, _P.XDP, _A.XDP_DEVMAP),
    ("xdp.frags/cpumap", True, _P.XDP, _A.XDP_CPUMAP),
    ("xdp/cpumap", True, _P.XDP, _A.XDP_CPUMAP),
    ("xdp.frags", True, _P.XDP, _A.XDP),
    ("xdp", True, _P.XDP, _A.XDP),
    ("perf_event", True, _P.PERF_EVENT, None),
    ("lwt_in", True, _P.LWT_IN, None),
    ("lwt_out", True, _P.LWT_OUT, None),
    ("lwt_xmit", True, _P.LWT_XMIT, None),
    ("lwt_seg6local", True, _P.LWT_SEG6LOCAL, None),
    ("sockops", True, _P.SOCK_OPS, _A.CGROUP_SOCK_OPS),
    ("sk_skb/stream_parser", True, _P.SK_SKB, _A.SK_SKB_STREAM_PARSER),
    ("sk_skb/stream_verdict", True, _P.SK_SKB, _A.SK_SKB_STREAM_VERDICT),
    ("sk_skb/verdict", True, _P.SK_SKB, _A.SK_SKB_VERDICT),
    ("sk_skb", True, _P.SK_SKB, None),
    ("sk_msg", True, _P.SK_MSG, _A.SK_MSG_VERDICT),
    ("lirc_mode2", True, _P.LIRC_MODE2, _A.LIRC_MODE2),
    ("flow_dissector", True, _P.FLOW_DISSECTOR, _A.FLOW_DISSECTOR),
    ("cgroup_skb/ingress", True, _P.CGROUP_SKB, _A.CGROUP_INET_INGRESS),
    ("cgroup_skb/egress", True, _P.CGROUP_SKB, _A.CGROUP_INET_EGRESS),
    ("cgroup/skb", True, _P.CGROUP_SKB, None),
    ("cgroup/sock_create", True, _P.CGROUP_SOCK, _A.CGROUP_INET_SOCK_CREATE),
    ("cgroup/sock_release", True, _P.CGROUP_SOCK, _A.CGROUP_INET_SOCK_RELEASE),
    ("cgroup/sock", True, _P.CGROUP_SOCK, _A.CGROUP_INET_SOCK_CREATE),
    ("cgroup/post_bind4", True, _P.CGROUP_SOCK, _A.CGROUP_INET4_POST_BIND),
    ("cgroup/post_bind6", True, _P.CGROUP_SOCK, _A.CGROUP_INET6_POST_BIND),
    ("cgroup/dev", True, _P.CGROUP_DEVICE, _A.CGROUP_DEVICE),
    ("cgroup/bind4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET4_BIND),
    ("cgroup/bind6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET6_BIND),
    ("cgroup/connect4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET4_CONNECT),
    ("cgroup/connect6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET6_CONNECT),
    ("cgroup/sendmsg4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_UDP4_SENDMSG),
    ("cgroup/sendmsg6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_UDP6_SENDMSG),
    ("cgroup/recvmsg4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_UDP4_RECVMSG),
    ("cgroup/recvmsg6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_UDP6_RECVMSG),
    ("cgroup/getpeername4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET4_GETPEERNAME),
    ("cgroup/getpeername6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET6_GETPEERNAME),
    ("cgroup/getsockname4", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET4_GETSOCKNAME),
    ("cgroup/getsockname6", True, _P.CGROUP_SOCK_ADDR, _A.CGROUP_INET6_GETSOCKNAME),
    ("cgroup/sysctl", True, _P.CGROUP_SYSCTL, _A.CGROUP_SYSCTL),
    ("cgroup/getsockopt", True, _P.CGROUP_SOCKOPT, _A.CGROUP_GETSOCKOPT),
    ("cgroup/setsockopt", True, _P.CGROUP_SOCKOPT, _A.CGROUP_SETSOCKOPT),
    ("struct_ops", False, _P.STRUCT_OPS, None),
    ("struct_ops.s", False, _P.STRUCT_OPS, None),
    ("sk_lookup", True, _P.SK_LOOKUP, _A.SK_LOOKUP),
    ("netfilter", True, _P.NETFILTER, _A.NETFILTER),
)


def program_kind(section: str) -> ProgramKind | None:
    """The program type a section name says, or ``None`` for a section that is not a program's."""
    found = _kind(section)
    if found is None:
        return None
    prefix = section.split("/", 1)[0]
    flags = (SLEEPABLE if prefix.endswith(".s") else 0) | (XDP_HAS_FRAGS if prefix == "xdp.frags" else 0)
    return attrs.evolve(found, flags=flags) if flags else found


def _kind(section: str) -> ProgramKind | None:
    for prefix, exact, prog_type, attach_type in _TABLE:
        if section == prefix:
            return ProgramKind(prog_type, attach_type)
        if not exact and section.startswith(prefix + "/"):
            return ProgramKind(prog_type, attach_type, section[len(prefix) + 1 :])
        if exact and section.startswith(prefix + "/") and prefix in ("socket", "xdp", "tc", "classifier"):
            return ProgramKind(prog_type, attach_type, section[len(prefix) + 1 :])  # SEC("socket/anything")
    return None
