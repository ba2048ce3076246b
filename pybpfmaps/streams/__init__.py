"""Event streams from BPF programs: ring buffer and perf buffer readers over ``mmap`` and ``epoll``.

Readers are usually reached through their map (``RingBufMap.consume()``, ``PerfEventArrayMap.poll()``);
``Poller`` waits on several at once. ``UserRingBufWriter`` writes records for programs to drain.
"""

from __future__ import annotations

from pybpfmaps.streams.base import StreamReader
from pybpfmaps.streams.block import RecordBlock
from pybpfmaps.streams.perfbuf import PerfBufReader
from pybpfmaps.streams.poller import Poller
from pybpfmaps.streams.ringbuf import RingBufReader
from pybpfmaps.streams.user_ringbuf import UserRingBufWriter

__all__ = ["PerfBufReader", "Poller", "RecordBlock", "RingBufReader", "StreamReader", "UserRingBufWriter"]
