"""The one place that calls ``bpf(2)``: ``bpf(cmd, attr) -> int``, raising ``RawBpfError`` on failure."""

from __future__ import annotations

import ctypes
import errno as errno_module
import os
import platform

from pybpfmaps._sys import uapi

# __NR_bpf of the 64-bit architectures (arch/*/include/uapi/asm/unistd*.h; asm-generic for the newer
# ones). 32-bit processes are not supported: the attr structs hold pointers as the kernel's u64.
_NR_BPF_BY_MACHINE: dict[str, int] = {
    "x86_64": 321,
    "amd64": 321,
    "aarch64": 280,
    "arm64": 280,
    "riscv64": 280,
    "loongarch64": 280,
    "ppc64le": 361,
    "ppc64": 361,
    "s390x": 351,
}

NR_BPF: int | None = _NR_BPF_BY_MACHINE.get(platform.machine()) if ctypes.sizeof(ctypes.c_void_p) == 8 else None

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
# No argtypes: converting through them costs more than the kernel's work for a small map op. The
# number goes in as a prepared C long, cmd and size as C ints, the attr by reference.
_NR = ctypes.c_long(NR_BPF or -1)
_byref = ctypes.byref
_sizeof = ctypes.sizeof


class RawBpfError(OSError):
    """A failed ``bpf(2)`` call: the errno and the command number, nothing interpreted yet."""

    def __init__(self, err: int, cmd: int) -> None:
        super().__init__(err, os.strerror(err))
        self.cmd = cmd
        self.count: int | None = None  # batch commands: the count the kernel wrote back
        self.log = ""  # BPF_PROG_LOAD: what the verifier said

    @property
    def command(self) -> str:
        """The kernel's name of the command, e.g. ``BPF_MAP_LOOKUP_ELEM``."""
        return uapi.COMMAND_NAMES.get(self.cmd, f"bpf command {self.cmd}")


def bpf(cmd: int, attr: ctypes.Structure) -> int:
    """Call ``bpf(cmd, &attr, sizeof(attr))`` and return its result; raise ``RawBpfError`` on failure.

    The attr structs of ``uapi`` are the prefix of ``union bpf_attr`` that a command uses, so the
    kernel zero-fills the rest; that keeps every call valid on kernels older than the header.
    """
    if NR_BPF is None:
        raise RawBpfError(errno_module.ENOSYS, cmd)
    result: int = _syscall(_NR, cmd, _byref(attr), _sizeof(attr))
    if result < 0:
        raise RawBpfError(ctypes.get_errno(), cmd)
    return result
