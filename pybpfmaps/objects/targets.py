"""Where a tracing program is for, as the kernel wants it at load: the id, in the running kernel's
BTF, of the function an fentry/fexit/fmod_ret program traces, of the ``btf_trace_*`` type of a
``tp_btf`` tracepoint, of the ``bpf_lsm_*`` hook of an LSM program, of the ``bpf_iter_*`` function
of an iterator."""

from __future__ import annotations

from pybpfmaps.btf import Btf
from pybpfmaps.btf.source import vmlinux
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import AttachType
from pybpfmaps.objects.sections import ProgramKind

_NAMES = {
    AttachType.TRACE_FENTRY: ("func", ""), AttachType.TRACE_FEXIT: ("func", ""),
    AttachType.MODIFY_RETURN: ("func", ""), AttachType.TRACE_RAW_TP: ("typedef", "btf_trace_"),
    AttachType.LSM_MAC: ("func", "bpf_lsm_"), AttachType.LSM_CGROUP: ("func", "bpf_lsm_"),
    AttachType.TRACE_ITER: ("func", "bpf_iter_"),
}  # fmt: skip


def kernel_btf() -> Btf:
    """The running kernel's BTF (``btf.source.vmlinux``: read once per process, it takes a few seconds)."""
    try:
        return vmlinux()
    except (OSError, BpfArgumentError) as exc:
        raise BpfArgumentError(f"this kernel publishes no BTF (/sys/kernel/btf/vmlinux): {exc}") from None


def attach_btf_id(name: str, kind: ProgramKind) -> int:
    """The kernel BTF id program *name* of *kind* is loaded for; 0 for kinds that need none."""
    if kind.attach_type not in _NAMES:
        return 0
    if not kind.target:
        raise BpfArgumentError(f'program {name!r} has no target in its section name (SEC("fentry/do_unlinkat"))')
    btf_kind, prefix = _NAMES[kind.attach_type]
    try:
        return kernel_btf().type_id(f"{btf_kind} {prefix}{kind.target}")
    except BpfArgumentError:
        raise BpfArgumentError(
            f"program {name!r} is for {kind.target!r}: this kernel's BTF has no {btf_kind} {prefix}{kind.target}"
        ) from None
