"""The CO-RE resolver on hand-made BTF, for the shapes a kernel test cannot choose: members found
through anonymous unions, bitfields, arrays, flavours, enums, several candidates, poisoning."""

from __future__ import annotations

import struct

import pytest

from pybpfmaps.btf import format as btf
from pybpfmaps.btf.format import BtfType, Member
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.objects import core

INSN = struct.Struct("<BBhi")
U8, U32, S32, U64 = (
    BtfType(btf.INT, "u8", 1, bits=8), BtfType(btf.INT, "u32", 4, bits=32),
    BtfType(btf.INT, "int", 4, bits=32, encoding=btf.INT_SIGNED), BtfType(btf.INT, "u64", 8, bits=64),
)  # fmt: skip

# local: struct sk___mine { u32 state; u64 flags:3, mode:5; u8 addr[4]; }  (ids 1..4 ints, 10 struct, 11 array)
LOCAL = {
    1: U8, 2: U32, 3: S32, 4: U64,
    11: BtfType(btf.ARRAY, "", 0, ref=1, nelems=4, index=2),
    10: BtfType(btf.STRUCT, "sk___mine", 24, members=(
        Member("state", 2, 0), Member("flags", 4, 64, 3), Member("mode", 4, 67, 5), Member("addr", 11, 128),
    ), kind_flag=True),
    20: BtfType(btf.ENUM, "color___mine", 4, values=(("RED", 7), ("BLUE", 8))),
}  # fmt: skip
# kernel: struct sk { u64 pad; union { u32 state; int other; }; u32 pad2; u8 addr[8]; u32 flags:7, mode:5; }
KERNEL = {
    1: U8, 2: U32, 3: S32, 4: U64,
    30: BtfType(btf.UNION, "", 4, members=(Member("state", 2, 0), Member("other", 3, 0))),
    31: BtfType(btf.ARRAY, "", 0, ref=1, nelems=8, index=2),
    40: BtfType(btf.STRUCT, "sk", 32, members=(
        Member("pad", 4, 0), Member("", 30, 64), Member("pad2", 2, 96), Member("addr", 31, 128),
        Member("flags", 2, 192, 7), Member("mode", 2, 199, 5),
    ), kind_flag=True),
    50: BtfType(btf.ENUM64, "color", 8, values=(("BLUE", 1), ("RED", 2))),
}  # fmt: skip


def run(kind: int, access: str, instruction: tuple[int, int, int, int], type_id: int = 10,
        kernel: dict[int, BtfType] = KERNEL) -> tuple[tuple[int, int, int, int], list[core.Relocation]]:  # fmt: skip
    code = bytearray(INSN.pack(*instruction) + INSN.pack(0, 0, 0, 0))
    failed = core.apply(code, [core.Relocation(0, type_id, access, kind)], LOCAL, kernel)
    return INSN.unpack_from(code), failed


def test_a_member_is_found_by_name_through_an_anonymous_union() -> None:
    # r1 += 0 (the local offset of state) → the kernel's 8
    assert run(core.FIELD_BYTE_OFFSET, "0:0", (0x07, 0x01, 0, 0))[0] == (0x07, 0x01, 0, 8)
    # r0 = *(u8 *)(r1 + 18): addr[2] → 16 + 2 in both; the access at index 0 of an array of sk___mine
    assert run(core.FIELD_BYTE_OFFSET, "1:3:2", (0x71, 0x01, 42, 0))[0] == (0x71, 0x01, 32 + 18, 0)


def test_bitfields_give_the_kernels_load_and_shifts() -> None:
    assert run(core.FIELD_BYTE_OFFSET, "0:2", (0xB7, 0, 0, 8))[0][3] == 24  # the u32 holding mode
    assert run(core.FIELD_BYTE_SIZE, "0:2", (0xB7, 0, 0, 8))[0][3] == 4
    assert run(core.FIELD_LSHIFT, "0:2", (0xB7, 0, 0, 56))[0][3] == 64 - (199 + 5 - 24 * 8)
    assert run(core.FIELD_RSHIFT, "0:2", (0xB7, 0, 0, 59))[0][3] == 64 - 5
    assert run(core.FIELD_SIGNED, "0:0", (0xB7, 0, 0, 0))[0][3] == 0


def test_existence_sizes_and_enums() -> None:
    assert run(core.TYPE_SIZE, "0", (0xB7, 0, 0, 24))[0][3] == 32
    assert run(core.TYPE_EXISTS, "0", (0xB7, 0, 0, 1))[0][3] == 1
    assert run(core.TYPE_ID_TARGET, "0", (0xB7, 0, 0, 10))[0][3] == 40
    assert run(core.ENUMVAL_VALUE, "0", (0x18, 0, 0, 7), type_id=20)[0][3] == 2  # RED, by name, in an enum64
    assert run(core.ENUMVAL_EXISTS, "1", (0xB7, 0, 0, 1), type_id=20)[0][3] == 1
    without = {k: v for k, v in KERNEL.items() if k != 40}
    assert run(core.TYPE_EXISTS, "0", (0xB7, 0, 0, 1), kernel=without) == ((0xB7, 0, 0, 0), [])
    assert run(core.FIELD_EXISTS, "0:0", (0xB7, 0, 0, 1), kernel=without) == ((0xB7, 0, 0, 0), [])


def test_a_field_nowhere_poisons_its_instruction_and_is_reported() -> None:
    without = {k: v for k, v in KERNEL.items() if k != 40}
    patched, failed = run(core.FIELD_BYTE_OFFSET, "0:0", (0x61, 0x01, 0, 0), kernel=without)
    assert patched == (0x85, 0, 0, core.POISON)
    assert [relocation.describe(LOCAL) for relocation in failed] == ["field_byte_offset of struct sk___mine.state"]


def test_a_load_is_narrowed_only_where_the_value_survives() -> None:
    # local addr is u8[4], kernel u8[8]: not a load of the array; a u64 local read of a u32 kernel field is narrowed
    local = {**LOCAL, 10: BtfType(btf.STRUCT, "sk___mine", 8, members=(Member("state", 4, 0),))}
    code = bytearray(INSN.pack(0x79, 0x01, 0, 0) + bytes(8))  # r0 = *(u64 *)(r1 + 0)
    core.apply(code, [core.Relocation(0, 10, "0:0", core.FIELD_BYTE_OFFSET)], local, KERNEL)
    assert INSN.unpack_from(code) == (0x61, 0x01, 8, 0)  # r0 = *(u32 *)(r1 + 8)
    signed = {**KERNEL, 30: BtfType(btf.UNION, "", 4, members=(Member("state", 3, 0),))}
    with pytest.raises(BpfArgumentError, match="only unsigned integers and pointers can be read at another size"):
        core.apply(bytearray(INSN.pack(0x79, 0x01, 0, 0) + bytes(8)),
                   [core.Relocation(0, 10, "0:0", core.FIELD_BYTE_OFFSET)], local, signed)  # fmt: skip


def test_candidates_that_disagree_are_an_error_and_a_wrong_instruction_is_refused() -> None:
    twin = {**KERNEL, 41: BtfType(btf.STRUCT, "sk", 4, members=(Member("state", 2, 0),))}
    with pytest.raises(BpfArgumentError, match="kernel types disagree"):
        run(core.FIELD_BYTE_OFFSET, "0:0", (0x07, 0x01, 0, 0), kernel=twin)
    with pytest.raises(BpfArgumentError, match="the instruction holds 5, not the local 0"):
        run(core.FIELD_BYTE_OFFSET, "0:0", (0x07, 0x01, 0, 5))
