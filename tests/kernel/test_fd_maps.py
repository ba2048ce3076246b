"""Prog arrays and maps of maps on the real kernel, proven by BPF programs: a tail call through a
``ProgArrayMap``, and a program that looks up an inner map through its outer map; bpftool reads
the ids the kernel holds."""

from __future__ import annotations

import errno
import struct
import subprocess
import sys
from typing import Any

import pytest

from pybpfmaps import (
    ArrayMap,
    ArrayOfMapsMap,
    BpfArgumentError,
    BpfMap,
    BpfProgram,
    BpfSyscallError,
    CodecTypeError,
    HashMap,
    HashOfMapsMap,
    ProgArrayMap,
    ProgType,
    XdpAction,
    asm,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.10", "raw tracepoint programs under BPF_PROG_TEST_RUN")

TAIL_CALL = 12  # enum bpf_func_id: bpf_tail_call


def returning(action: int, name: str) -> BpfProgram:
    return BpfProgram.load([asm.mov(asm.R0, action), asm.exit()], ProgType.XDP, name=name)


def tail_caller(table: ProgArrayMap) -> BpfProgram:
    """XDP: tail-call slot 0 of *table*; XDP_DROP if that slot is empty."""
    program = [
        *asm.ld_map(asm.R2, table),  # r1 = ctx already
        asm.mov(asm.R3, 0),
        asm.call(TAIL_CALL),
        asm.mov(asm.R0, XdpAction.DROP),  # reached only when the slot is empty
        asm.exit(),
    ]
    return BpfProgram.load(program, ProgType.XDP, name="tail_caller")


def test_a_tail_call_jumps_to_the_program_stored_in_the_slot(make_map: MakeMap) -> None:
    table = make_map(ProgArrayMap, max_entries=4, name="progs")
    with tail_caller(table) as caller, returning(XdpAction.TX, "tx") as tx, returning(XdpAction.PASS, "pass") as ok:
        assert caller.test_run(bytes(64)).retval == XdpAction.DROP
        table[0] = tx
        assert caller.test_run(bytes(64)).retval == XdpAction.TX
        table[0] = ok.fileno()  # a plain fd is taken too
        assert caller.test_run(bytes(64)).retval == XdpAction.PASS
        table[3] = tx
        assert list(table) == [0, 3]
        assert len(table) == 2
        assert table.ids() == {0: ok.id, 3: tx.id}
        assert {struct.unpack("=I", k)[0]: struct.unpack("=I", v)[0] for k, v in bpftool.dump(table.id).items()} == {
            0: ok.id,
            3: tx.id,
        }
        with table[3] as stored:
            assert (type(stored), stored.id, stored.name, stored.prog_type) == (BpfProgram, tx.id, "tx", ProgType.XDP)
        del table[0]
        assert caller.test_run(bytes(64)).retval == XdpAction.DROP
        with pytest.raises(CodecTypeError, match="expected a program object or its file descriptor"):
            table[1] = "tx"
    with BpfMap.from_id(table.id) as reopened:
        assert type(reopened) is ProgArrayMap
        assert list(reopened) == [3]


def through_outer(outer: Any, key: int) -> BpfProgram:
    """XDP: look up *key* in *outer*, then index 0 of the inner map found; its u32 is the verdict (1 if none)."""
    program: list[asm.Item] = [
        asm.store_imm(asm.R10, -4, key, 4),
        *asm.ld_map(asm.R1, outer),
        asm.mov_reg(asm.R2, asm.R10),
        asm.alu(asm.R2, "+", -4),
        asm.call(asm.MAP_LOOKUP_ELEM),
        asm.jump_if(asm.R0, "==", 0, "none"),
        asm.mov_reg(asm.R1, asm.R0),  # the inner map
        asm.store_imm(asm.R10, -8, 0, 4),
        asm.mov_reg(asm.R2, asm.R10),
        asm.alu(asm.R2, "+", -8),
        asm.call(asm.MAP_LOOKUP_ELEM),
        asm.jump_if(asm.R0, "==", 0, "none"),
        asm.load(asm.R0, asm.R0, 0, 4),
        asm.exit(),
        asm.label("none"),
        asm.mov(asm.R0, XdpAction.DROP),
        asm.exit(),
    ]
    return BpfProgram.load(program, ProgType.XDP, name="through_outer")


@pytest.mark.parametrize("kind", [ArrayOfMapsMap, HashOfMapsMap])
def test_a_program_reads_the_inner_map_stored_in_the_outer_one(make_map: MakeMap, kind: type[Any]) -> None:
    template = make_map(ArrayMap, value=u64, max_entries=1, name="template")
    first = make_map(ArrayMap, value=u64, max_entries=1, name="inner_tx")
    second = make_map(ArrayMap, value=u64, max_entries=1, name="inner_pass")
    first[0], second[0] = XdpAction.TX, XdpAction.PASS
    if kind is ArrayOfMapsMap:
        outer = make_map(ArrayOfMapsMap, inner=template, max_entries=4, name="outer")
    else:
        outer = make_map(HashOfMapsMap, key=u32, inner=template, max_entries=4, name="outer")
    with through_outer(outer, 2) as program:
        assert program.test_run(bytes(64)).retval == XdpAction.DROP
        outer[2] = first
        assert program.test_run(bytes(64)).retval == XdpAction.TX
        outer[2] = second
        assert program.test_run(bytes(64)).retval == XdpAction.PASS
        assert outer.ids() == {2: second.id}
        assert list(outer) == [2]
        held = {struct.unpack("=I", k)[0]: struct.unpack("=I", v)[0] for k, v in bpftool.dump(outer.id).items()}
        assert held == {2: second.id}
        with outer[2] as inner:  # opened as its own class, typed by its BTF
            assert (type(inner), inner.id, inner[0]) == (ArrayMap, second.id, XdpAction.PASS)
        del outer[2]
        assert program.test_run(bytes(64)).retval == XdpAction.DROP
    with pytest.raises(BpfArgumentError, match="template"):
        kind.create(inner=42, max_entries=4) if kind is ArrayOfMapsMap else kind.create(
            key=u32, inner=42, max_entries=4
        )


def test_a_map_unlike_the_template_is_refused(make_map: MakeMap) -> None:
    template = make_map(ArrayMap, value=u64, max_entries=1)
    outer = make_map(ArrayOfMapsMap, inner=template, max_entries=2)
    other = make_map(HashMap, key=u32, value=u32, max_entries=1)
    with pytest.raises(BpfSyscallError) as refused:
        outer[0] = other
    assert refused.value.errno == errno.EINVAL
    assert outer.ids() == {}


def test_the_command_line_shows_and_takes_ids(make_map: MakeMap) -> None:
    table = make_map(ProgArrayMap, max_entries=4, name="cli_progs")
    with returning(XdpAction.PASS, "pass") as program:
        table[2] = program
        command = [sys.executable, "-W", "error::ResourceWarning", "-m", "pybpfmaps"]
        dumped = subprocess.run([*command, "dump", str(table.id), "--json"], capture_output=True, text=True, check=True)
        shown = f'{{"key": 2, "value": {{"id": {program.id}, "name": "pass"}}}}\n'
        assert (dumped.stdout, dumped.stderr) == (shown, "")
        setting = [*command, "set", str(table.id), "0", str(program.id)]
        written = subprocess.run(setting, capture_output=True, text=True, check=False)
        assert (written.returncode, written.stderr) == (0, "")
        assert table.ids() == {0: program.id, 2: program.id}
    template = make_map(ArrayMap, value=u64, max_entries=1, name="cli_inner")
    outer = make_map(ArrayOfMapsMap, inner=template, max_entries=2, name="cli_outer")
    outer[1] = template
    dumped = subprocess.run([*command, "dump", str(outer.id), "--json"], capture_output=True, text=True, check=True)
    assert dumped.stdout == f'{{"key": 1, "value": {{"id": {template.id}, "name": "cli_inner"}}}}\n'
