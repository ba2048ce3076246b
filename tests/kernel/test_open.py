"""Opening maps by pin, id and fd; access modes; pin/unpin; the right class from the kernel's map type."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import (
    ArrayMap,
    BpfArgumentError,
    BpfMap,
    BpfPermissionError,
    BpfSyscallError,
    CodecError,
    HashMap,
    LruHashMap,
    MapNotFoundError,
    raw,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap, open_fds
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.2", "open by pin, id and fd; read-only and write-only opens; frozen maps")


def test_pin_then_open_by_path_sees_the_same_map(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, name="pinned")
    m[1] = 10
    m.pin(bpffs / "flows")
    assert m.pin_path == str(bpffs / "flows")
    assert bpftool.dump_pinned(str(bpffs / "flows")) == {struct.pack("=I", 1): struct.pack("=Q", 10)}
    with BpfMap.from_pin(bpffs / "flows", key=u32, value=u64) as other:
        assert type(other) is HashMap
        assert other.id == m.id
        assert other[1] == 10
        other[2] = 20
    assert m[2] == 20


@pytest.mark.parametrize(
    ("cls", "kwargs", "expected"),
    [
        (HashMap, {"key": u32, "value": u64}, HashMap),
        (LruHashMap, {"key": u32, "value": u64}, LruHashMap),
        (ArrayMap, {"value": u64}, ArrayMap),
    ],
)
def test_open_returns_the_class_of_the_kernel_map_type(
    make_map: MakeMap, bpffs: Path, cls: type[BpfMap[Any, Any]], kwargs: dict[str, Any], expected: type
) -> None:
    m = make_map(cls, max_entries=4, **kwargs)
    m.pin(bpffs / "m")
    with BpfMap.from_pin(bpffs / "m") as by_pin, BpfMap.from_id(m.id) as by_id, BpfMap.from_fd(m.fileno()) as by_fd:
        for opened in (by_pin, by_id, by_fd):
            assert type(opened) is expected
            assert opened.id == m.id
            assert opened.fileno() != m.fileno()


def test_default_codecs_are_raw_bytes_except_array_indexes(make_map: MakeMap) -> None:
    h = make_map(HashMap, key=u32, value=u64, max_entries=4, btf=False)
    with BpfMap.from_id(h.id) as untyped:  # a map without BTF opens with raw codecs
        assert repr(untyped.key_codec) == "raw(4)"
    h[1] = 2
    with BpfMap.from_id(h.id, btf=False) as opened:
        assert repr(opened.key_codec) == "raw(4)"
        assert opened[b"\x01\x00\x00\x00"] == struct.pack("=Q", 2)
    a = make_map(ArrayMap, value=u64, max_entries=4)
    with BpfMap.from_id(a.id, btf=False) as opened_array:
        assert repr(opened_array.key_codec) == "u32"
        assert opened_array[0] == bytes(8)


def test_subclass_open_accepts_subtypes_and_refuses_other_types(make_map: MakeMap) -> None:
    lru = make_map(LruHashMap, key=u32, value=u64, max_entries=4)
    with HashMap.from_id(lru.id) as opened:
        assert type(opened) is LruHashMap
    array = make_map(ArrayMap, value=u64, max_entries=4)
    before = open_fds()
    with pytest.raises(
        BpfArgumentError, match=r"^array map .*\(id \d+\) is not a HashMap: open it with ArrayMap or BpfMap$"
    ):
        HashMap.from_id(array.id)
    assert open_fds() == before


def test_codec_sizes_are_checked_on_open_and_nothing_leaks(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4, name="sized")
    before = open_fds()
    with pytest.raises(CodecError, match=r"value codec u32 is 4 bytes but hash map 'sized' .* has value_size 8"):
        BpfMap.from_id(m.id, key=u32, value=u32)
    with pytest.raises(CodecError, match="key codec raw"):
        BpfMap.from_id(m.id, key=raw(8))
    assert open_fds() == before


def test_missing_pin_and_id(bpffs: Path) -> None:
    with pytest.raises(MapNotFoundError, match="nothing pinned at") as caught:
        BpfMap.from_pin(bpffs / "absent")
    assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(MapNotFoundError, match="no map with id"):
        BpfMap.from_id(2**31 - 1)
    with pytest.raises(BpfArgumentError):
        BpfMap.from_id(0)


def test_from_fd_refuses_non_maps(tmp_path: Path) -> None:
    with open(tmp_path / "f", "w") as plain, pytest.raises(BpfArgumentError, match="not a BPF map"):
        BpfMap.from_fd(plain.fileno())
    with pytest.raises(BpfArgumentError, match="not an open file descriptor"):
        BpfMap.from_fd(99999)


def test_from_fd_keeps_its_own_descriptor(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    fd = os.dup(m.fileno())
    opened = BpfMap.from_fd(fd, key=u32, value=u64)
    os.close(fd)
    opened[3] = 4
    assert m[3] == 4
    opened.close()


def test_readonly_open_reads_but_cannot_write(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    m[1] = 1
    m.pin(bpffs / "ro")
    openers: list[Callable[[], HashMap[int, int]]] = [
        lambda: HashMap.from_pin(bpffs / "ro", readonly=True, key=u32, value=u64),
        lambda: HashMap.from_id(m.id, readonly=True, key=u32, value=u64),
    ]
    for open_readonly in openers:
        with open_readonly() as opened:
            assert opened[1] == 1
            assert list(opened) == [1]
            assert "read-only" in repr(opened)
            with pytest.raises(BpfPermissionError, match="opened read-only") as caught:
                opened[2] = 2
            assert isinstance(caught.value, PermissionError)
            with pytest.raises(BpfPermissionError, match=r"BPF_MAP_DELETE_ELEM .*opened read-only"):
                del opened[1]
    assert bpftool.dump(m.id) == {struct.pack("=I", 1): struct.pack("=Q", 1)}


def test_writeonly_open_writes_but_cannot_read(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    m.pin(bpffs / "wo")
    with BpfMap.from_pin(bpffs / "wo", writeonly=True, key=u32, value=u64) as opened:
        opened[5] = 50
        with pytest.raises(BpfPermissionError, match=r"BPF_MAP_LOOKUP_ELEM .*opened write-only"):
            opened[5]
        with pytest.raises(BpfPermissionError, match=r"BPF_MAP_(GET_NEXT_KEY|LOOKUP_BATCH) .*opened write-only"):
            list(opened)
    assert bpftool.dump(m.id) == {struct.pack("=I", 5): struct.pack("=Q", 50)}
    with pytest.raises(BpfArgumentError, match="exclude each other"):
        BpfMap.from_pin(bpffs / "wo", readonly=True, writeonly=True)


def test_pin_errors_explain_themselves(make_map: MakeMap, bpffs: Path, tmp_path: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4, name="p")
    m.pin(bpffs / "once")
    with pytest.raises(BpfSyscallError, match=r"\[Errno 17\] BPF_OBJ_PIN on hash map 'p' .*already pins this map"):
        m.pin(bpffs / "once")
    with pytest.raises(BpfPermissionError, match="not on a bpf filesystem"):
        m.pin(tmp_path / "not-bpffs")
    with pytest.raises(BpfSyscallError, match="does not exist"):
        m.pin(bpffs / "no" / "such" / "dir")


def test_unpin_removes_only_our_pin(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    with pytest.raises(BpfArgumentError, match="was not pinned"):
        m.unpin()
    m.pin(bpffs / "a")
    m.unpin()
    assert not (bpffs / "a").exists()
    assert m.pin_path is None
    m.pin(bpffs / "b")
    (bpffs / "b").unlink()
    other = make_map(HashMap, key=u32, value=u64, max_entries=4)
    other.pin(bpffs / "b")
    with pytest.raises(BpfArgumentError, match="now pins another map"):
        m.unpin()
    assert (bpffs / "b").exists()
    with BpfMap.from_pin(bpffs / "b") as reopened:
        reopened.unpin()
    assert not (bpffs / "b").exists()


def test_opening_a_path_outside_bpffs_says_so(tmp_path: Path) -> None:
    (tmp_path / "regular").write_text("")
    with pytest.raises(BpfPermissionError, match="is not on a bpf filesystem"):
        BpfMap.from_pin(tmp_path / "regular")
    with pytest.raises(BpfArgumentError, match="NUL"):
        BpfMap.from_pin("/sys/fs/bpf/a\0b")
