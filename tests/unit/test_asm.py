"""The instruction encodings of pybpfmaps.asm, checked against the kernel's documented bytes."""

from __future__ import annotations

import pytest

from pybpfmaps import asm


def test_encodings() -> None:
    # r0 = 2; exit  -- the smallest XDP_PASS program (as llvm-objdump shows it: b7 00 ... 02, 95 00 ...)
    assert asm.assemble([asm.mov(asm.R0, 2), asm.exit()]).hex(" ") == (
        "b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
    )
    assert asm.mov_reg(asm.R6, asm.R1).encode().hex() == "bf16000000000000"  # r6 = r1
    assert asm.load(asm.R2, asm.R6, 4, 4).encode().hex() == "6162040000000000"  # r2 = *(u32 *)(r6 + 4)
    assert asm.store(asm.R10, -4, asm.R7, 4).encode().hex() == "637afcff00000000"  # *(u32 *)(r10 - 4) = r7
    assert asm.store_imm(asm.R10, -16, 1, 8).encode().hex() == "7a0af0ff01000000"
    assert asm.alu(asm.R2, "+", -4).encode().hex() == "07020000fcffffff"
    assert asm.call(asm.MAP_LOOKUP_ELEM).encode().hex() == "8500000001000000"


def test_jumps_resolve_to_labels() -> None:
    code = asm.assemble([
        asm.jump_if(asm.R1, "==", 0, "out"),  # skips the next instruction
        asm.mov(asm.R0, 1),
        asm.label("out"),
        asm.exit(),
    ])  # fmt: skip
    assert code[:8].hex() == "1501010000000000"  # if r1 == 0 goto +1
    with pytest.raises(ValueError, match="unknown label 'nowhere'"):
        asm.assemble([asm.jump("nowhere")])
    with pytest.raises(ValueError, match="placed twice"):
        asm.assemble([asm.label("x"), asm.label("x"), asm.exit()])


class _FakeMap:
    def fileno(self) -> int:
        return 7


def test_map_loads_are_pseudo_map_fd_ld_imm64() -> None:
    assert asm.assemble([asm.ld_map(asm.R1, _FakeMap())]).hex() == "1811000007000000" + "00" * 8
