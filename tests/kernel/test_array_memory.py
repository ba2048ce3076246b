"""Arrays created with BPF_F_MMAPABLE and the global data of a clang-built object, read and written
through ``memory()`` without syscalls; checked through the syscall path, bpftool and BPF programs."""

from __future__ import annotations

import errno
import struct
from pathlib import Path
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    ArrayIndexError,
    ArrayMap,
    BpfArgumentError,
    BpfPermissionError,
    BpfProgram,
    BpfSyscallError,
    MapFlags,
    asm,
    be16,
    u16,
    u32,
    u64,
)
from pybpfmaps.asm import R0, R1, R2, R10
from tests.kernel.conftest import MakeMap
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("5.5", "memory-mapped arrays (BPF_F_MMAPABLE)")


@attrs.frozen
class Slot:
    kind: int = u16()
    packets: int = u32()
    port: int = be16()


def bump(array: ArrayMap[Any]) -> list[asm.Item]:
    """An XDP program adding 1 to the u64 at the start of element 0."""
    return [
        asm.store_imm(R10, -4, 0, 4),
        *asm.ld_map(R1, array),
        asm.mov_reg(R2, R10),
        asm.alu(R2, "+", -4),
        asm.call(asm.MAP_LOOKUP_ELEM),
        asm.jump_if(R0, "==", 0, "out"),
        asm.load(R1, R0, 0, 8),
        asm.alu(R1, "+", 1),
        asm.store(R0, 0, R1, 8),
        asm.label("out"),
        asm.mov(R0, 2),
        asm.exit(),
    ]


def test_scalar_values_are_shared_with_programs_and_the_syscall_path(make_map: MakeMap) -> None:
    counters = make_map(ArrayMap, value=u64, max_entries=8, flags=MapFlags.MMAPABLE)
    with counters.memory() as mem, BpfProgram.load(bump(counters)) as program:
        values = mem.values()
        values[0] = 40
        values[5] = 2**64 - 1
        program.test_run(bytes(64), repeat=2)  # the program sees the write, and we see its adds
        assert values[0] == 42
        assert counters[0] == 42
        assert counters[5] == 2**64 - 1
        counters[3] = 9  # a syscall write shows in the mapping
        assert values[3] == mem[3] == 9
        assert values.tolist() == [42, 0, 0, 9, 0, 2**64 - 1, 0, 0]
        dumped = bpftool.dump(counters.id)  # an independent reader
        assert dumped[struct.pack("=I", 0)] == struct.pack("=Q", 42)
        del values


def test_values_smaller_than_8_bytes_sit_8_bytes_apart(make_map: MakeMap) -> None:
    small = make_map(ArrayMap, value=u32, max_entries=5, flags=MapFlags.MMAPABLE)
    with small.memory() as mem:
        assert mem.stride == 8
        view = mem.values()
        for index in range(5):
            view[index] = 1000 + index
        assert [small[index] for index in range(5)] == [1000, 1001, 1002, 1003, 1004]
        assert len(mem.raw) == 40
        del view


def test_struct_fields_as_views_and_values_in_place(make_map: MakeMap) -> None:
    slots = make_map(ArrayMap, value=Slot, max_entries=4, flags=MapFlags.MMAPABLE)
    with slots.memory() as mem:
        mem[2] = Slot(kind=3, packets=70000, port=443)
        assert slots[2] == Slot(3, 70000, 443)
        packets = mem.field("packets")
        packets[1] = 5
        assert slots[1] == Slot(0, 5, 0)
        assert packets.tolist() == [0, 5, 70000, 0]
        assert mem.field("kind").tolist() == [0, 0, 3, 0]
        with pytest.raises(BpfArgumentError, match="port"):
            mem.field("port")  # big-endian: not a native view
        with pytest.raises(BpfArgumentError, match="no field"):
            mem.field("bytes")
        with pytest.raises(BpfArgumentError, match="not native scalars"):
            mem.values()
        del packets


def test_bad_indexes_and_values_change_nothing(make_map: MakeMap) -> None:
    numbers = make_map(ArrayMap, value=u32, max_entries=3, flags=MapFlags.MMAPABLE)
    with numbers.memory() as mem:
        mem[-1] = 7
        assert numbers[2] == 7
        with pytest.raises(ArrayIndexError):
            mem[3] = 1
        with pytest.raises(ArrayIndexError):
            mem["0"]
        with pytest.raises(BpfArgumentError):
            mem[0] = 2**32
        assert [numbers[index] for index in range(3)] == [0, 0, 7]


def test_frozen_read_only_and_plain_arrays(make_map: MakeMap) -> None:
    plain = make_map(ArrayMap, value=u32, max_entries=2)
    with pytest.raises(BpfArgumentError, match="MMAPABLE"):
        plain.memory()
    frozen = make_map(ArrayMap, value=u64, max_entries=2, flags=MapFlags.MMAPABLE)
    frozen[1] = 5
    frozen.freeze()
    with frozen.memory() as mem:
        assert not mem.writable
        assert mem[1] == 5
        with pytest.raises(BpfPermissionError):
            mem[0] = 1
        view = mem.values()
        assert view.readonly
        del view
    shared = make_map(ArrayMap, value=u64, max_entries=2, flags=MapFlags.MMAPABLE)
    with ArrayMap.from_id(shared.id, readonly=True) as reader, pytest.raises(BpfPermissionError, match="read-only"):
        reader.memory()  # the kernel maps only shared mappings, which a read-only fd cannot make
    constants = make_map(ArrayMap, value=u64, max_entries=2, flags=MapFlags.MMAPABLE | MapFlags.RDONLY_PROG)
    constants[0] = 3
    with constants.memory() as mem:
        assert not mem.writable  # programs take its contents for constants
        assert mem[0] == 3


def test_a_writable_mapping_keeps_the_map_from_being_frozen(make_map: MakeMap) -> None:
    counters = make_map(ArrayMap, value=u64, max_entries=2, flags=MapFlags.MMAPABLE)
    mem = counters.memory()
    with pytest.raises(BpfSyscallError) as refused:
        counters.freeze()
    assert refused.value.errno == errno.EBUSY
    mem.close()
    counters.freeze()  # once unmapped
    assert counters.info.frozen


@pytest.fixture(scope="module")
def awkward_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(clang.SOURCES / "awkward.bpf.c", tmp_path_factory.mktemp("awkward"))


def test_global_data_of_a_clang_built_object(awkward_object: Path, bpffs: Path, tmp_path: Path) -> None:
    clang.load(awkward_object, bpffs)
    maps = bpffs / "maps"
    bss, data = ArrayMap.from_pin(maps / "awkward_bss"), ArrayMap.from_pin(maps / "awkward_data")
    with bss, data, bss.memory() as bss_memory, data.memory() as data_memory:
        hits, counter = bss_memory.field("hits"), data_memory.field("counter")
        assert counter[0] == 7  # the initial value C gave it
        counter[0] = 100
        assert clang.run(bpffs / "prog" / "fill", bytes(64), tmp_path) == 2
        assert hits[0] == 1  # the program's increments, seen without a syscall
        assert counter[0] == 101
        assert data[0].counter == 101
        del hits, counter
    with ArrayMap.from_pin(maps / "awkward_rodata") as rodata, rodata.memory() as constants:
        assert not constants.writable  # libbpf-style loaders freeze .rodata
        assert constants[0].greeting == rodata[0].greeting


def test_a_mapping_the_kernel_refuses_for_want_of_memory_is_not_called_a_permission_problem(
    make_map: MakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    counters = make_map(ArrayMap, value=u64, max_entries=2, flags=MapFlags.MMAPABLE)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr("mmap.mmap", refused)
    with pytest.raises(BpfSyscallError) as raised:
        counters.memory()
    assert raised.value.errno == errno.ENOMEM
    assert not isinstance(raised.value, BpfPermissionError)
    assert counters.name in str(raised.value)
