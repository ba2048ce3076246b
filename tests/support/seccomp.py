"""Emulate kernels without batch commands, for real: a seccomp filter that fails bpf() commands 24-27.

``install(errno.EINVAL)`` makes this process see what a kernel older than 5.6 answers to every
batch command; ``install(524)`` what a kernel answers for a map type without batch ops. The
filter matches the bpf syscall number and its first argument (the command); everything else,
map creation and element commands included, still reaches the real kernel. A filter cannot be
removed, so it goes into a throw-away process (docs/kernel-notes.md#emulating-old-kernels).
"""

from __future__ import annotations

import ctypes
import platform
import sys

SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
PR_SET_NO_NEW_PRIVS = 38

# (AUDIT_ARCH_*, __NR_bpf, __NR_seccomp) per machine
ARCHES = {
    "x86_64": (0xC000003E, 321, 317),
    "aarch64": (0xC00000B7, 280, 277),
}

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06

BATCH_COMMANDS = (24, 25, 26, 27)


class SockFilter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32))


class SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter)))


def program(errno_value: int, commands: tuple[int, ...] = BATCH_COMMANDS) -> list[tuple[int, int, int, int]]:
    """The classic-BPF filter: fail ``bpf(cmd, ...)`` for *commands* with *errno_value*, allow the rest."""
    arch, nr_bpf, _ = ARCHES[platform.machine()]
    first_arg = 16 if sys.byteorder == "little" else 20  # low 32 bits of seccomp_data.args[0]
    deny = 5 + len(commands) + 1  # index of the final "return errno"
    allow = deny - 1
    instructions = [
        (BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (BPF_JEQ_K, 0, allow - 2, arch),
        (BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (BPF_JEQ_K, 0, allow - 4, nr_bpf),
        (BPF_LD_W_ABS, 0, 0, first_arg),
    ]
    for command in commands:
        here = len(instructions)
        instructions.append((BPF_JEQ_K, deny - here - 1, 0, command))
    instructions.append((BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    instructions.append((BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno_value))
    return instructions


def install(errno_value: int, commands: tuple[int, ...] = BATCH_COMMANDS) -> None:
    """Install the filter on every thread of this process, for good."""
    _, _, nr_seccomp = ARCHES[platform.machine()]
    instructions = program(errno_value, commands)
    filters = (SockFilter * len(instructions))(*[SockFilter(*ins) for ins in instructions])
    fprog = SockFprog(len(instructions), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    result = libc.syscall(nr_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))
    if result != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER)")


def seccomp_mode() -> str:
    """This process's ``Seccomp:`` line of /proc/self/status (0 none, 2 filter)."""
    with open("/proc/self/status") as status:
        return next(line.split()[1] for line in status if line.startswith("Seccomp:"))
