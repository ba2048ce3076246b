"""Stack trace maps on the real kernel: a raw tracepoint program records its own kernel and user
stacks with ``bpf_get_stackid``; the stacks read back as bpftool reads them."""

from __future__ import annotations

import struct

import pytest

from pybpfmaps import BpfArgumentError, BpfMap, BpfProgram, ProgType, StackTraceMap, asm
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.10", "raw tracepoint programs under BPF_PROG_TEST_RUN")

GET_STACKID = 27  # enum bpf_func_id: bpf_get_stackid
BPF_F_USER_STACK = 1 << 8
KERNEL_HALF = 1 << 63  # kernel addresses have the top bit set on x86-64 and arm64


def recorder(stacks: StackTraceMap, flags: int) -> BpfProgram:
    """A raw tracepoint program returning ``bpf_get_stackid(ctx, stacks, flags)``."""
    program: list[asm.Item] = [
        *asm.ld_map(asm.R2, stacks),  # r1 = ctx already
        asm.mov(asm.R3, flags),
        asm.call(GET_STACKID),
        asm.exit(),
    ]
    return BpfProgram.load(program, ProgType.RAW_TRACEPOINT, name="stack_rec")


def test_stacks_a_program_records_read_back_as_bpftool_reads_them(make_map: MakeMap) -> None:
    # one stack per map: two stacks in one map may hash to the same bucket, and bpf_get_stackid
    # then answers -EEXIST for the second
    kernel_stacks = make_map(StackTraceMap, max_entries=16, depth=32, name="kstacks")
    user_stacks = make_map(StackTraceMap, max_entries=16, depth=32, name="ustacks")
    with recorder(kernel_stacks, 0) as kernel_side, recorder(user_stacks, BPF_F_USER_STACK) as user_side:
        kernel_id = kernel_side.run_with_arguments()
        user_id = user_side.run_with_arguments(1, 2)
    assert {kernel_id, user_id} <= set(range(16))
    kernel_stack, user_stack = kernel_stacks[kernel_id], user_stacks[user_id]
    assert 0 < len(kernel_stack) <= 32
    assert all(address >= KERNEL_HALF for address in kernel_stack)
    assert user_stack
    assert all(0 < address < KERNEL_HALF for address in user_stack)
    for stacks in (kernel_stacks, user_stacks):
        held = {struct.unpack("=I", k)[0]: struct.unpack("=32Q", v) for k, v in bpftool.dump(stacks.id).items()}
        assert {key: tuple(a for a in frames if a) for key, frames in held.items()} == stacks.copy()
    del kernel_stacks[kernel_id]
    assert kernel_id not in kernel_stacks
    with BpfMap.from_id(user_stacks.id) as reopened:
        assert type(reopened) is StackTraceMap
        assert reopened[user_id] == user_stack


def test_build_id_stacks_and_bad_depths(make_map: MakeMap) -> None:
    stacks = make_map(StackTraceMap, max_entries=4, depth=8, build_id=True)
    assert stacks.info.value_size == 8 * 32
    with recorder(stacks, BPF_F_USER_STACK) as user_side:
        stack_id = user_side.run_with_arguments()
    frames = stacks[stack_id]
    assert frames
    assert all(frame.status in (1, 2) and len(frame.build_id) == 20 for frame in frames)
    with pytest.raises(BpfArgumentError, match="depth must be"):
        StackTraceMap.create(max_entries=4, depth=0)
