"""``fence()``: the memory barrier the stream readers put between reading a position and the data it covers.

A BPF program publishes a ring buffer record by writing it, then clearing the header's busy bit
with a release store; it advances the producer position with a release store too. A reader must
not load a record's bytes before the load that saw it published (acquire), and must be done
loading them before its store of the consumer position hands the space back (release).

Python has no atomics, but each load and store here is one aligned 4- or 8-byte access made by a
separate C call, which the C compiler cannot merge or reorder. On x86-64 (and 32-bit x86) the CPU
keeps loads in order with loads and stores in order after earlier loads (TSO), so acquire and
release come for free and ``fence()`` does nothing. On weakly ordered CPUs (arm64, ppc64, riscv64,
s390x) ``fence()`` unlocks and relocks a private mutex: the release store of the unlock followed
by the acquire load of the lock is a full barrier (no earlier access passes the pair, no later one
goes before it). The readers call it once per batch, between reading the headers and reading the
records, and before storing the consumer position.
"""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Callable

STRONGLY_ORDERED = platform.machine() in {"x86_64", "amd64", "i386", "i686"}


def _nothing() -> None:
    """On a TSO CPU every load is an acquire and every store a release."""


def _mutex_pair() -> Callable[[], None]:
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(64)  # >= sizeof(pthread_mutex_t) on every Linux ABI; zero = default mutex
    lock, unlock = libc.pthread_mutex_lock, libc.pthread_mutex_unlock
    lock(mutex)

    def fence() -> None:
        unlock(mutex)
        lock(mutex)

    return fence


fence: Callable[[], None] = _nothing if STRONGLY_ORDERED else _mutex_pair()
