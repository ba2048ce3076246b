"""How many *possible* CPUs the kernel sizes per-CPU map values for (``/sys/devices/system/cpu/possible``)."""

from __future__ import annotations

import functools


@functools.cache
def possible_cpus() -> int:
    """The number of CPUs in the possible mask, e.g. ``0-3,8-11`` is 8 (not ``os.cpu_count()``)."""
    with open("/sys/devices/system/cpu/possible", "rb") as mask:  # bytes: no codec lookup, which may import
        return count_cpus(mask.read().decode())


def count_cpus(mask: str) -> int:
    """The number of CPUs in a kernel CPU list such as ``0-3,8-11``."""
    total = 0
    for part in mask.strip().split(","):
        low, _, high = part.partition("-")
        total += int(high or low) - int(low) + 1
    return total


def online_cpus() -> list[int]:
    """The CPUs online now (``/sys/devices/system/cpu/online``), e.g. ``[0, 1, 2, 3]``."""
    with open("/sys/devices/system/cpu/online", "rb") as mask:
        return cpu_list(mask.read().decode())


def cpu_list(mask: str) -> list[int]:
    """The CPU numbers of a kernel CPU list such as ``0-3,8-11``."""
    cpus: list[int] = []
    for part in mask.strip().split(","):
        if part:
            low, _, high = part.partition("-")
            cpus.extend(range(int(low), int(high or low) + 1))
    return cpus
