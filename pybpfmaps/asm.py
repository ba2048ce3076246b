"""A small eBPF assembler: instructions as Python calls, jumps to named labels, maps by object.

Enough to write the short programs that tests and tools need without a compiler::

    from pybpfmaps import asm
    program = [
        asm.mov(asm.R0, 2),          # r0 = XDP_PASS
        asm.exit(),
    ]
    code = asm.assemble(program)     # bytes of struct bpf_insn

Registers are ``R0``..``R10`` (``R10`` is the read-only frame pointer). Jumps take a label
name, placed with ``label("name")``; ``ld_map(reg, m)`` loads a map's fd (any object with
``fileno()``) for helper calls such as ``call(MAP_LOOKUP_ELEM)``.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from typing import Protocol

import attrs

from pybpfmaps._sys import uapi

R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)

# helper function ids (include/uapi/linux/bpf.h, enum bpf_func_id)
MAP_LOOKUP_ELEM = 1
MAP_UPDATE_ELEM = 2
MAP_DELETE_ELEM = 3
MAP_PUSH_ELEM = 87
MAP_POP_ELEM = 88
MAP_PEEK_ELEM = 89
PERF_EVENT_OUTPUT = 25  # (ctx, map, flags, data, size): flags CURRENT_CPU, or a slot index
RINGBUF_OUTPUT = 130  # (map, data, size, flags)
RINGBUF_RESERVE = 131  # (map, size, 0) -> pointer or NULL
RINGBUF_SUBMIT = 132  # (pointer, flags)
RINGBUF_DISCARD = 133  # (pointer, flags)

CURRENT_CPU = 0xFFFFFFFF
"""``BPF_F_CURRENT_CPU``: the perf event of the CPU the program runs on; load it with ``alu(reg, "=", -1, bits=32)``."""

_LD, _LDX, _ST, _STX, _ALU, _JMP, _ALU64 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07
SIZE_CODES = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}
"""The size bits of a load or store opcode, by the bytes it moves (``BPF_B``, ``BPF_H``, ``BPF_W``, ``BPF_DW``)."""
_IMM, _MEM = 0x00, 0x60
_K, _X = 0x00, 0x08
_ALU_OPS = {"+": 0x00, "-": 0x10, "*": 0x20, "/": 0x30, "|": 0x40, "&": 0x50, "<<": 0x60, ">>": 0x70,
            "%": 0x90, "^": 0xa0, "=": 0xb0}  # fmt: skip
_JUMP_OPS = {"==": 0x10, ">": 0x20, ">=": 0x30, "&": 0x40, "!=": 0x50, "s>": 0x60, "s>=": 0x70, "<": 0xa0,
             "<=": 0xb0, "s<": 0xc0, "s<=": 0xd0}  # fmt: skip
_CALL, _EXIT, _JA = 0x80, 0x90, 0x00


class HasFileno(Protocol):
    def fileno(self) -> int: ...


@attrs.frozen
class Insn:
    """One ``struct bpf_insn``; ``target`` is a label its offset is resolved to."""

    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0
    target: str | None = None

    def encode(self, off: int | None = None) -> bytes:
        regs = self.dst | self.src << 4 if sys.byteorder == "little" else self.dst << 4 | self.src
        return struct.pack("=BBhi", self.code, regs, self.off if off is None else off, self.imm)


@attrs.frozen
class Label:
    """A jump target: it marks the position of the next instruction."""

    name: str


Item = Insn | Label | tuple[Insn, Insn]


def label(name: str) -> Label:
    return Label(name)


def mov(dst: int, imm: int) -> Insn:
    """``dst = imm`` (64-bit)."""
    return alu(dst, "=", imm)


def mov_reg(dst: int, src: int) -> Insn:
    """``dst = src`` (64-bit)."""
    return alu(dst, "=", src, register=True)


def alu(dst: int, op: str, src_or_imm: int, *, register: bool = False, bits: int = 64) -> Insn:
    """``dst op= src`` / ``dst op= imm`` for op in ``+ - * / | & << >> % ^ =``."""
    cls = _ALU64 if bits == 64 else _ALU
    if register:
        return Insn(cls | _ALU_OPS[op] | _X, dst, src_or_imm)
    return Insn(cls | _ALU_OPS[op] | _K, dst, imm=src_or_imm)


def load(dst: int, src: int, offset: int, size: int) -> Insn:
    """``dst = *(u<size*8> *)(src + offset)``."""
    return Insn(_LDX | _MEM | SIZE_CODES[size], dst, src, offset)


def store(dst: int, offset: int, src: int, size: int) -> Insn:
    """``*(u<size*8> *)(dst + offset) = src`` (a register)."""
    return Insn(_STX | _MEM | SIZE_CODES[size], dst, src, offset)


def store_imm(dst: int, offset: int, imm: int, size: int) -> Insn:
    """``*(u<size*8> *)(dst + offset) = imm``."""
    return Insn(_ST | _MEM | SIZE_CODES[size], dst, 0, offset, imm)


def jump(target: str) -> Insn:
    """``goto target``."""
    return Insn(_JMP | _JA, target=target)


def jump_if(dst: int, op: str, src_or_imm: int, target: str, *, register: bool = False) -> Insn:
    """``if dst op src_or_imm goto target`` for op in ``== != > >= < <= & s> s>= s< s<=``."""
    if register:
        return Insn(_JMP | _JUMP_OPS[op] | _X, dst, src_or_imm, target=target)
    return Insn(_JMP | _JUMP_OPS[op] | _K, dst, imm=src_or_imm, target=target)


def call(helper: int) -> Insn:
    """Call helper function *helper* (arguments in R1-R5, result in R0)."""
    return Insn(_JMP | _CALL, imm=helper)


def exit() -> Insn:
    """Return R0."""
    return Insn(_JMP | _EXIT)


def ld_map(dst: int, bpf_map: HasFileno) -> tuple[Insn, Insn]:
    """``dst = map`` for helper calls: a 16-byte ld_imm64 of the map's fd (BPF_PSEUDO_MAP_FD)."""
    return (Insn(_LD | _IMM | SIZE_CODES[8], dst, uapi.BPF_PSEUDO_MAP_FD, imm=bpf_map.fileno()), Insn(0))


def assemble(items: Iterable[Item]) -> bytes:
    """The program as bytes of ``struct bpf_insn``, with jump offsets resolved from labels."""
    flat: list[Insn] = []
    labels: dict[str, int] = {}
    for item in items:
        if isinstance(item, Label):
            if item.name in labels:
                raise ValueError(f"label {item.name!r} placed twice")
            labels[item.name] = len(flat)
        elif isinstance(item, tuple):
            flat.extend(item)
        else:
            flat.append(item)
    code = []
    for index, insn in enumerate(flat):
        if insn.target is None:
            code.append(insn.encode())
            continue
        if insn.target not in labels:
            raise ValueError(f"jump to unknown label {insn.target!r}")
        code.append(insn.encode(labels[insn.target] - index - 1))
    return b"".join(code)
