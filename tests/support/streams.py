"""Streams fed by real BPF programs for the stream tests: a ring buffer or perf event array, the program
that sends each packet's first 16 bytes (a sequence number and a tag) into it, and what arrives."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import attrs

from pybpfmaps import BpfProgram, PerfEventArrayMap, RingBufMap, u64
from tests.support import emitters

RECORD = 16


@attrs.frozen
class Event:
    seq: int = u64()
    tag: int = u64()


def packet(seq: int) -> bytes:
    return struct.pack("<QQ", seq, 1000 + seq) + bytes(20)


def sent(seq: int) -> bytes:
    return packet(seq)[:RECORD]


@dataclass
class Stream:
    """A map read as a stream, the program that feeds it, and how a record it delivers looks."""

    kind: str
    map: Any
    program: BpfProgram

    def send(self, *seqs: int) -> None:
        for seq in seqs:
            self.program.test_run(packet(seq))

    def expected(self, seq: int) -> bytes:
        # a perf sample is padded to keep its record 8-byte aligned: 4 bytes of size + 16 + 4
        return sent(seq) + bytes(4) if self.kind == "perf" else sent(seq)


def open_stream(kind: str, value: Any = None, pages: int = 8) -> Stream:
    """A 4096-byte ring buffer, or a perf event array with *pages* pages a CPU, read as *value*s."""
    if kind == "ringbuf":
        ring = RingBufMap.create(size=4096, value=value)
        return Stream(kind, ring, BpfProgram.load(emitters.ringbuf_output(ring, RECORD)))
    events = PerfEventArrayMap.create()
    events.open_reader(value, pages=pages)  # a sample sent before a CPU has a perf buffer goes nowhere
    return Stream(kind, events, BpfProgram.load(emitters.perf_event_output(events, RECORD)))
