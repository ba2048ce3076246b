"""``open_bpf_output(cpu, wakeup_bytes)``: a perf event that ``bpf_perf_event_output`` writes samples into.

``perf_event_open(2)`` with ``PERF_TYPE_SOFTWARE`` / ``PERF_COUNT_SW_BPF_OUTPUT`` and
``PERF_SAMPLE_RAW``: what libbpf's ``perf_buffer__new`` and bpftool's ``map event_pipe`` open.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

# __NR_perf_event_open of the 64-bit architectures (arch/*/include/uapi/asm/unistd*.h)
_NR_BY_MACHINE = {"x86_64": 298, "amd64": 298, "aarch64": 241, "arm64": 241, "riscv64": 241,
                  "loongarch64": 241, "ppc64le": 319, "ppc64": 319, "s390x": 331}  # fmt: skip
NR_PERF_EVENT_OPEN = _NR_BY_MACHINE.get(platform.machine())

PERF_TYPE_SOFTWARE = 1
PERF_COUNT_SW_BPF_OUTPUT = 10
PERF_SAMPLE_RAW = 1 << 10
PERF_FLAG_FD_CLOEXEC = 1 << 3
_WATERMARK = 1 << 14  # perf_event_attr bit: wake by bytes (wakeup_watermark), not by events

# struct perf_event_mmap_page: where the ring's positions are (include/uapi/linux/perf_event.h)
DATA_HEAD = 1024
DATA_TAIL = 1032

# struct perf_event_header's types that reach a BPF output buffer
PERF_RECORD_LOST = 2
PERF_RECORD_SAMPLE = 9


class _PerfEventAttr(ctypes.Structure):
    """``struct perf_event_attr`` up to ``PERF_ATTR_SIZE_VER5`` (112 bytes, Linux 4.17); the bit fields as one word."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("config", ctypes.c_uint64),
        ("sample_period", ctypes.c_uint64),
        ("sample_type", ctypes.c_uint64),
        ("read_format", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
        ("wakeup", ctypes.c_uint32),  # wakeup_events, or wakeup_watermark with the watermark bit
        ("bp_type", ctypes.c_uint32),
        ("rest", ctypes.c_uint8 * 56),
    ]


_libc = ctypes.CDLL(None, use_errno=True)


def open_bpf_output(cpu: int, wakeup_bytes: int = 0) -> int:
    """A perf event fd for BPF output on *cpu*: readers wake for every sample, or once *wakeup_bytes* are waiting.

    A failure raises ``OSError`` whose ``filename`` is ``"perf_event_open"``.
    """
    if NR_PERF_EVENT_OPEN is None:
        raise OSError(errno.ENOSYS, f"perf_event_open is not known on {platform.machine()}", "perf_event_open")
    attr = _PerfEventAttr()
    attr.type = PERF_TYPE_SOFTWARE
    attr.size = ctypes.sizeof(attr)
    attr.config = PERF_COUNT_SW_BPF_OUTPUT
    attr.sample_period = 1
    attr.sample_type = PERF_SAMPLE_RAW
    if wakeup_bytes:
        attr.flags = _WATERMARK
        attr.wakeup = wakeup_bytes
    else:
        attr.wakeup = 1
    fd = _libc.syscall(
        ctypes.c_long(NR_PERF_EVENT_OPEN), ctypes.byref(attr), ctypes.c_int(-1), ctypes.c_int(cpu),
        ctypes.c_int(-1), ctypes.c_ulong(PERF_FLAG_FD_CLOEXEC),
    )  # fmt: skip
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{os.strerror(err)} (CPU {cpu})", "perf_event_open")
    return int(fd)
