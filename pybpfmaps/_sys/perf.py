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
    return _open(attr, cpu, f" (CPU {cpu})")


def _open(attr: _PerfEventAttr, cpu: int, where: str = "") -> int:
    """perf_event_open(2) of *attr* for every process on *cpu*, close-on-exec; the fd."""
    if NR_PERF_EVENT_OPEN is None:
        raise OSError(errno.ENOSYS, f"perf_event_open is not known on {platform.machine()}", "perf_event_open")
    fd = _libc.syscall(
        ctypes.c_long(NR_PERF_EVENT_OPEN), ctypes.byref(attr), ctypes.c_int(-1), ctypes.c_int(cpu),
        ctypes.c_int(-1), ctypes.c_ulong(PERF_FLAG_FD_CLOEXEC),
    )  # fmt: skip
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{os.strerror(err)}{where}", "perf_event_open")
    return int(fd)


PERF_TYPE_TRACEPOINT = 2
PERF_EVENT_IOC_ENABLE = 0x2400
PERF_EVENT_IOC_SET_BPF = 0x40042408  # _IOW('$', 8, __u32)
_CONFIG1, _CONFIG2 = 0, 8  # offsets of config1 (kprobe_func) and config2 (probe_offset) in ``rest``


def open_probe(event_type: int, config: int, function: bytes | None = None, offset: int = 0) -> int:
    """A perf event for a BPF program to run at: a tracepoint (``PERF_TYPE_TRACEPOINT``, *config*
    its id) or a kprobe (the kprobe PMU's type, *function* and *offset* where), on every CPU of
    every process. A failure raises ``OSError`` whose ``filename`` is ``"perf_event_open"``."""
    attr = _PerfEventAttr()
    attr.type = event_type
    attr.size = ctypes.sizeof(attr)
    attr.config = config
    attr.sample_period = 1
    attr.wakeup = 1
    name = ctypes.create_string_buffer(function) if function is not None else None
    if name is not None:
        ctypes.c_uint64.from_buffer(attr.rest, _CONFIG1).value = ctypes.addressof(name)
        ctypes.c_uint64.from_buffer(attr.rest, _CONFIG2).value = offset
    return _open(attr, 0)  # one event, CPU 0's: a program set on a tracepoint or kprobe runs on every CPU


def set_bpf(perf_fd: int, prog_fd: int) -> None:
    """Run the program at the perf event, and enable it (what kernels before BPF_PERF_EVENT links take)."""
    for request, argument in ((PERF_EVENT_IOC_SET_BPF, prog_fd), (PERF_EVENT_IOC_ENABLE, 0)):
        if _libc.ioctl(ctypes.c_int(perf_fd), ctypes.c_ulong(request), ctypes.c_ulong(argument)) < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), "ioctl")
