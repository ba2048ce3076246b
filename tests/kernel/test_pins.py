"""Pin paths that are not what they seem: symlinks, directories, other maps' pins, programs, other filesystems.

Each either works as the path resolves or fails with an error that says what is at the path,
and the pins already there are left as they were.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pybpfmaps import (
    BpfArgumentError,
    BpfMap,
    BpfPermissionError,
    BpfProgram,
    BpfSyscallError,
    HashMap,
    MapNotFoundError,
    ProgType,
    asm,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap

pytestmark = pytest.mark.needs_kernel("4.18", "pinned hash maps with BTF")


def pinned_id(path: Path) -> int:
    with BpfMap.from_pin(path) as m:
        return m.id


def test_symlinks_to_pins_open_the_map(make_map: MakeMap, bpffs: Path, tmp_path: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    m[1] = 2
    m.pin(bpffs / "real")
    (bpffs / "link").symlink_to(bpffs / "real")  # a symlink on the bpf filesystem itself
    (tmp_path / "elsewhere").symlink_to(bpffs / "real")  # one on another filesystem, pointing in
    (tmp_path / "dir").symlink_to(bpffs)  # a directory symlink on the way
    for path in (bpffs / "link", tmp_path / "elsewhere", tmp_path / "dir" / "real"):
        with BpfMap.from_pin(path, key=u32, value=u64) as opened:
            assert (opened.id, opened[1]) == (m.id, 2)
    m.pin(tmp_path / "dir" / "through")  # pinning through a directory symlink lands on bpffs
    assert pinned_id(bpffs / "through") == m.id


def test_unpin_through_a_symlink_removes_the_pin_not_the_link(make_map: MakeMap, bpffs: Path, tmp_path: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    for link in (bpffs / "link", tmp_path / "elsewhere"):  # on the bpf filesystem, and outside it
        m.pin(bpffs / "real")
        link.symlink_to(bpffs / "real")
        with BpfMap.from_pin(link) as opened:
            opened.unpin()
        assert not (bpffs / "real").exists()
        assert link.is_symlink()  # the link stays, dangling: it was not the pin
        link.unlink()


def test_symlinks_that_lead_nowhere_useful(make_map: MakeMap, bpffs: Path, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a pin")
    (bpffs / "to_plain").symlink_to(tmp_path / "plain")
    (bpffs / "dangling").symlink_to(bpffs / "nothing")
    with pytest.raises(BpfPermissionError, match="to_plain' is not on a bpf filesystem"):
        BpfMap.from_pin(bpffs / "to_plain")
    with pytest.raises(MapNotFoundError, match="nothing pinned at"):
        BpfMap.from_pin(bpffs / "dangling")
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    with pytest.raises(BpfSyscallError, match=r"dangling' already exists \(a symlink\)"):
        m.pin(bpffs / "dangling")  # the kernel does not follow a symlink to create a pin
    assert (bpffs / "dangling").is_symlink()


def test_existing_pins_are_named_and_kept(make_map: MakeMap, bpffs: Path) -> None:
    first = make_map(HashMap, key=u32, value=u64, max_entries=4)
    second = make_map(HashMap, key=u32, value=u64, max_entries=4)
    first.pin(bpffs / "taken")
    with pytest.raises(BpfSyscallError, match=rf"already pins another map \(id {first.id}\); unpin it first"):
        second.pin(bpffs / "taken")
    with pytest.raises(BpfSyscallError, match="already pins this map"):
        first.pin(bpffs / "taken")
    assert pinned_id(bpffs / "taken") == first.id
    (bpffs / "sub").mkdir()
    with pytest.raises(BpfSyscallError, match=r"sub' already exists \(a directory\)"):
        second.pin(bpffs / "sub")


def test_directories_and_programs_are_not_maps(bpffs: Path) -> None:
    (bpffs / "sub").mkdir()
    with pytest.raises(BpfPermissionError, match="sub' is a directory, not a pin"):
        BpfMap.from_pin(bpffs / "sub")
    with BpfProgram.load([asm.mov(0, 2), asm.exit()], ProgType.XDP) as program:
        subprocess.run(["bpftool", "prog", "pin", "id", str(program.id), str(bpffs / "prog")], check=True)
    with pytest.raises(BpfArgumentError, match="is a pinned BPF object but not a map"):
        BpfMap.from_pin(bpffs / "prog")
    assert os.path.exists(bpffs / "prog")


def test_unpin_leaves_a_program_pinned_in_its_place(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    m.pin(bpffs / "swapped")
    (bpffs / "swapped").unlink()
    with BpfProgram.load([asm.mov(0, 2), asm.exit()], ProgType.XDP) as program:
        subprocess.run(["bpftool", "prog", "pin", "id", str(program.id), str(bpffs / "swapped")], check=True)
    with pytest.raises(BpfArgumentError, match="now pins another map than"):
        m.unpin()
    assert os.path.exists(bpffs / "swapped")
