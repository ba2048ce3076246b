"""XDP programs that send the first bytes of each packet they see to a ring buffer or a perf event array.

Run them with ``BpfProgram.test_run(packet)``: each run sends one record (a packet shorter than the
record sends nothing). The record is the packet's first *size* bytes (a multiple of 8). A program
returns XDP_PASS, or XDP_DROP when the helper that sends failed (no buffer for this CPU, no room).
"""

from __future__ import annotations

from pybpfmaps import asm
from pybpfmaps.asm import R0, R1, R2, R3, R4, R5, R6, R7, R10

XDP_DROP, XDP_PASS = 1, 2


def _packet_to_stack(size: int) -> list[asm.Item]:
    """r6 = ctx; the packet's first *size* bytes at r10 - size, or on to ``out`` if it is shorter."""
    assert size % 8 == 0
    assert 0 < size <= 256
    copy: list[asm.Item] = []
    for offset in range(0, size, 8):
        copy += [asm.load(R5, R2, offset, 8), asm.store(R10, offset - size, R5, 8)]
    return [
        asm.mov_reg(R6, R1),
        asm.load(R2, R1, 0, 4),  # xdp_md.data
        asm.load(R3, R1, 4, 4),  # xdp_md.data_end
        asm.mov_reg(R4, R2),
        asm.alu(R4, "+", size),
        asm.jump_if(R4, ">", R3, "out", register=True),
        *copy,
    ]


def _pass() -> list[asm.Item]:
    return [asm.label("out"), asm.mov(R0, XDP_PASS), asm.exit()]


def _sent_or_dropped() -> list[asm.Item]:
    """XDP_DROP when the helper just called returned an error, else XDP_PASS."""
    return [
        asm.jump_if(R0, "==", 0, "out"),
        asm.mov(R0, XDP_DROP),
        asm.exit(),
        *_pass(),
    ]


def ringbuf_output(ring: asm.HasFileno, size: int) -> list[asm.Item]:
    """``bpf_ringbuf_output(ring, packet[:size], size, 0)``."""
    return [
        *_packet_to_stack(size),
        *asm.ld_map(R1, ring),
        asm.mov_reg(R2, R10),
        asm.alu(R2, "+", -size),
        asm.mov(R3, size),
        asm.mov(R4, 0),
        asm.call(asm.RINGBUF_OUTPUT),
        *_sent_or_dropped(),
    ]


def ringbuf_reserve(ring: asm.HasFileno, size: int) -> list[asm.Item]:
    """``bpf_ringbuf_reserve`` a record and fill it; discard it when the packet's first byte is odd, else submit it."""
    fill: list[asm.Item] = []
    for offset in range(0, size, 8):
        fill += [asm.load(R5, R10, offset - size, 8), asm.store(R7, offset, R5, 8)]
    return [
        *_packet_to_stack(size),
        *asm.ld_map(R1, ring),
        asm.mov(R2, size),
        asm.mov(R3, 0),
        asm.call(asm.RINGBUF_RESERVE),
        asm.jump_if(R0, "==", 0, "out"),
        asm.mov_reg(R7, R0),
        *fill,
        asm.load(R5, R10, -size, 1),
        asm.alu(R5, "&", 1),
        asm.mov_reg(R1, R7),
        asm.mov(R2, 0),
        asm.jump_if(R5, "!=", 0, "discard"),
        asm.call(asm.RINGBUF_SUBMIT),
        asm.jump("out"),
        asm.label("discard"),
        asm.call(asm.RINGBUF_DISCARD),
        *_pass(),
    ]


def perf_event_output(events: asm.HasFileno, size: int) -> list[asm.Item]:
    """``bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, packet[:size], size)``."""
    return [
        *_packet_to_stack(size),
        asm.mov_reg(R1, R6),
        *asm.ld_map(R2, events),
        asm.alu(R3, "=", -1, bits=32),  # BPF_F_CURRENT_CPU, zero-extended
        asm.mov_reg(R4, R10),
        asm.alu(R4, "+", -size),
        asm.mov(R5, size),
        asm.call(asm.PERF_EVENT_OUTPUT),
        *_sent_or_dropped(),
    ]
