"""One program's code as the kernel takes it: the program's own instructions, followed by every
function it calls or passes as a callback (bpf-to-bpf calls, ``bpf_loop`` and the other helpers
that take a function), each appended once, with the calls pointed at where they now are — as
libbpf links a program. What is left for the loader are the references to maps and global data."""

from __future__ import annotations

import struct

import attrs

from pybpfmaps.errors import BpfArgumentError, NotSupportedError
from pybpfmaps.objects.elf import SHF_EXECINSTR, ElfObject, Relocation, Section, Symbol

INSTRUCTION = 8
CALL, LD_IMM64 = 0x85, 0x18
PSEUDO_CALL, PSEUDO_KFUNC_CALL, PSEUDO_FUNC = 1, 2, 4
"""The source register of a call to a BPF function, of a call to a kernel function, and of an
``ld_imm64`` that loads a BPF function's address."""
INSN = struct.Struct("<BBhi")
"""``struct bpf_insn``: opcode, registers (destination in the low nibble), offset, immediate."""


@attrs.frozen
class Piece:
    """A function's code in the linked program: bytes *start* to *end* of *section*, placed at
    instruction *at*."""

    section: str
    start: int
    end: int
    at: int


@attrs.frozen
class Linked:
    """A program's code with its functions appended, the references to maps and global data left in
    it (offsets counted in the linked code), and where each function's code came from."""

    code: bytes
    relocations: tuple[Relocation, ...]
    pieces: tuple[Piece, ...]


def link(elf: ElfObject, section: str, start: int, end: int, name: str) -> Linked:
    """Link the program *name*, bytes *start* to *end* of *section*."""
    return _Linker(elf, name).run(section, start, end)


class _Linker:
    def __init__(self, elf: ElfObject, name: str) -> None:
        self.elf = elf
        self.name = name
        self.code = bytearray()
        self.pieces: list[Piece] = []
        self.placed: dict[tuple[int, int], int] = {}
        self.relocations: list[Relocation] = []

    def run(self, section: str, start: int, end: int) -> Linked:
        found = self.elf.section(section)
        if found is None:
            raise BpfArgumentError(f"program {self.name!r}: no section {section!r}")
        pending = [self._place(found, start, end)]
        while pending:
            pending.extend(self._resolve(pending.pop(0)))
        return Linked(bytes(self.code), tuple(self.relocations), tuple(self.pieces))

    def _place(self, section: Section, start: int, end: int) -> Piece:
        piece = Piece(section.name, start, end, len(self.code) // INSTRUCTION)
        self.placed[section.index, start] = piece.at
        self.code += section.data[start:end]
        self.pieces.append(piece)
        return piece

    def _resolve(self, piece: Piece) -> list[Piece]:
        """Point the calls of *piece* at their functions (placing those not placed yet, returned) and
        keep its other relocations."""
        section = self.elf.section(piece.section)
        assert section is not None
        by_offset = {rel.offset: rel for rel in self.elf.relocations.get(section.index, ())}
        new: list[Piece] = []
        for offset in range(piece.start, piece.end, INSTRUCTION):
            at = piece.at + (offset - piece.start) // INSTRUCTION
            opcode, regs, jump, imm = INSN.unpack_from(self.code, at * INSTRUCTION)
            relocation = by_offset.get(offset)
            source = regs >> 4
            undefined = relocation is not None and self.elf.symbols[relocation.symbol].section < 0
            if opcode == CALL and (source == PSEUDO_KFUNC_CALL or undefined):
                raise NotSupportedError(
                    None, f"program {self.name!r} calls the kernel function "
                    f"{self._symbol_name(relocation)}: kfuncs are not supported yet", command=None, map_label=None,
                )  # fmt: skip
            is_call = opcode == CALL and source == PSEUDO_CALL
            is_address = opcode == LD_IMM64 and (source == PSEUDO_FUNC or self._is_code(relocation))
            if not (is_call or is_address):
                if relocation is not None:
                    self.relocations.append(attrs.evolve(relocation, offset=at * INSTRUCTION))
                continue
            target, index = self._target(section, offset, relocation, imm, is_call)
            function = self._function(target, index * INSTRUCTION)
            if (target.index, function.value) not in self.placed:
                new.append(self._place(target, function.value, function.value + function.size))
            placed = self.placed[target.index, function.value]
            if is_address:  # clang leaves the source register 0: marking it is the loader's part
                regs = (regs & 0x0F) | PSEUDO_FUNC << 4
            INSN.pack_into(self.code, at * INSTRUCTION, opcode, regs, jump, placed - at - 1)
        return new

    def _is_code(self, relocation: Relocation | None) -> bool:
        """Whether *relocation* points into a section of code (so an ``ld_imm64`` of it loads a function)."""
        if relocation is None:
            return False
        symbol = self.elf.symbols[relocation.symbol]
        return symbol.section >= 0 and bool(self.elf.sections[symbol.section].flags & SHF_EXECINSTR)

    def _target(
        self, section: Section, offset: int, relocation: Relocation | None, imm: int, is_call: bool
    ) -> tuple[Section, int]:
        """The section and instruction index a call or function address refers to.

        With a relocation, the instruction counts from the symbol: a call to a global function has
        ``imm == -1`` against the function's symbol, a call to a static one its offset against the
        section's; a function address is the symbol's byte offset plus ``imm``. A call without a
        relocation stays in its section, relative to itself."""
        if relocation is None:
            if not is_call:
                raise BpfArgumentError(f"program {self.name!r}: a function address without a relocation")
            return section, offset // INSTRUCTION + imm + 1
        symbol = self.elf.symbols[relocation.symbol]
        if symbol.section < 0:
            raise BpfArgumentError(f"program {self.name!r} calls {symbol.name!r}, which the object does not define")
        target = self.elf.sections[symbol.section]
        if is_call:
            return target, symbol.value // INSTRUCTION + imm + 1
        return target, (symbol.value + imm) // INSTRUCTION

    def _function(self, section: Section, offset: int) -> Symbol:
        for symbol in self.elf.symbols:
            if symbol.section == section.index and symbol.type == "STT_FUNC" and symbol.value == offset:
                if symbol.size:
                    return symbol
                return attrs.evolve(symbol, size=len(section.data) - offset)
        raise BpfArgumentError(
            f"program {self.name!r} calls instruction {offset // INSTRUCTION} of {section.name}, "
            "where no function starts"
        )

    def _symbol_name(self, relocation: Relocation | None) -> str:
        return repr(self.elf.symbols[relocation.symbol].name) if relocation is not None else "(unnamed)"
