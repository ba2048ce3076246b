"""Create, info, freeze, close, list_maps, repr and privileges, checked against bpftool."""

from __future__ import annotations

import errno
import gc
import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import pybpfmaps
from pybpfmaps import (
    ArrayMap,
    BpfArgumentError,
    BpfMap,
    BpfPermissionError,
    ClosedMapError,
    CodecTypeError,
    HashMap,
    LruHashMap,
    MapFlags,
    MapInfo,
    MapType,
    list_maps,
    raw,
    u32,
    u64,
)
from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.syscall import RawBpfError
from tests.kernel.conftest import MakeMap, open_fds
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.2", "map names, BTF, BPF_MAP_FREEZE")


def test_info_matches_bpftool(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=raw(16), value=raw(32), max_entries=100, name="flows_v4", flags=MapFlags.NO_PREALLOC)
    info = m.info
    assert isinstance(info, MapInfo)
    shown = bpftool.show(m.id)
    assert (info.id, info.type_name, info.name) == (shown["id"], shown["type"], shown["name"])
    assert (info.key_size, info.value_size, info.max_entries) == (shown["bytes_key"], shown["bytes_value"], 100)
    assert info.flags == MapFlags.NO_PREALLOC == shown["flags"]
    assert info.type is MapType.HASH
    assert info.frozen is False
    assert info.btf_id == shown["btf_id"] > 0  # pybpfmaps describes its maps with BTF
    assert info.btf_key_type_id > 0
    assert info.btf_value_type_id > 0
    with pytest.raises(AttributeError):
        info.name = "other"  # type: ignore[misc]


def test_list_maps_agrees_with_bpftool(make_map: MakeMap) -> None:
    mine = {make_map(cls, max_entries=4, value=u64, **extra).id for cls, extra in
            [(HashMap, {"key": u32}), (LruHashMap, {"key": u32}), (ArrayMap, {})]}  # fmt: skip
    listed = {info.id: info for info in list_maps()}
    assert mine <= set(listed)  # other processes' maps come and go meanwhile: compare only ours
    for map_id in mine:
        shown = bpftool.show(map_id)
        assert listed[map_id].type_name == shown["type"]
        assert listed[map_id].max_entries == shown["max_entries"]


def test_freeze_blocks_every_user_space_write_but_not_reads(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4, name="frozen")
    m[1] = 1
    m.freeze()
    m.freeze()  # idempotent
    assert m.info.frozen is True
    assert bpftool.show(m.id)["frozen"] == 1
    assert m[1] == 1
    assert dict(m.items()) == {1: 1}
    for write in (lambda: m.__setitem__(2, 2), lambda: m.__delitem__(1), lambda: m.pop(1), m.clear):
        with pytest.raises(BpfPermissionError, match="the map is frozen"):
            write()
    assert "frozen" in repr(m)
    assert bpftool.dump(m.id) == {struct.pack("=I", 1): struct.pack("=Q", 1)}


def test_a_map_another_process_froze_in_between_freezes_quietly(
    make_map: MakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    commands.map_freeze(m.fileno())  # another process's freeze
    with pytest.raises(RawBpfError) as refused:  # what a second freeze answers: EPERM on 6.18, EBUSY on 6.1
        commands.map_freeze(m.fileno())
    assert refused.value.errno in (errno.EPERM, errno.EBUSY)
    states = iter([(os.O_RDWR, False)])  # the first look sees it unfrozen, as if the other process came after
    real = type(m._handle).fd_state
    monkeypatch.setattr(type(m._handle), "fd_state", lambda h: next(states, None) or real(h))
    m.freeze()
    assert bpftool.show(m.id)["frozen"] == 1


def test_frozen_array_rejects_writes(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=2)
    a.freeze()
    with pytest.raises(BpfPermissionError, match="frozen"):
        a[0] = 1


def test_close_is_idempotent_and_closed_maps_say_so(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4, name="gone")
    before = len(open_fds())
    m.close()
    m.close()
    assert m.closed
    assert len(open_fds()) == before - 1
    for operation in (lambda: m[1], lambda: m.__setitem__(1, 1), lambda: list(m), lambda: len(m), lambda: m.info,
                      m.freeze, m.fileno, lambda: 1 in m):  # fmt: skip
        with pytest.raises(ClosedMapError, match=r"operation on closed HashMap \(hash map 'gone'") as caught:
            operation()
        assert isinstance(caught.value, ValueError)
    assert repr(m).endswith(" closed>")


def test_with_block_closes() -> None:
    before = open_fds()
    with HashMap.create(key=u32, value=u64, max_entries=4) as m:
        m[1] = 1
        assert not m.closed
    assert m.closed
    assert open_fds() == before


def test_garbage_collected_open_map_warns_and_releases_its_fd() -> None:
    before = open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = HashMap.create(key=u32, value=u64, max_entries=4, name="forgotten")
        del m
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) and "'forgotten'" in str(w.message) for w in caught)
    assert open_fds() == before


def test_failed_open_and_create_leak_nothing(make_map: MakeMap) -> None:
    before = open_fds()
    with pytest.raises(pybpfmaps.BpfSyscallError):
        HashMap.create(key=raw(8), value=raw(4 << 20), max_entries=1)  # kernel: E2BIG, value too big
    assert open_fds() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "x" * 16}, "invalid map name"),
        ({"name": "bad-name"}, "invalid map name"),
        ({"name": "caf\u00e9"}, "invalid map name"),
        ({"max_entries": 0}, "max_entries"),
        ({"flags": MapFlags.MMAPABLE}, "hash maps do not take flags"),
        ({"flags": 1 << 30}, "hash maps do not take flags"),
        ({"flags": MapFlags.NO_COMMON_LRU}, "hash maps do not take flags"),
        ({"key": "u32"}, "is not a codec"),
        ({"value": int}, "is not a codec"),
    ],
)
def test_bad_create_arguments_create_nothing(kwargs: dict[str, Any], match: str, bpf_commands: list[int]) -> None:
    args: dict[str, Any] = {"key": u32, "value": u64, "max_entries": 4, **kwargs}
    with pytest.raises(BpfArgumentError, match=match):
        HashMap.create(**args)
    assert bpf_commands == []  # refused before any syscall


def test_codec_arguments_of_the_wrong_type_are_type_errors() -> None:
    with pytest.raises(CodecTypeError):
        HashMap.create(key=4, value=u64, max_entries=4)  # type: ignore[arg-type]


def test_base_class_cannot_create() -> None:
    with pytest.raises(BpfArgumentError, match="BpfMap cannot create maps"):
        BpfMap.create(key=u32, value=u64, max_entries=4)


def test_repr_tells_type_name_id_codecs_and_capacity(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=raw(16), max_entries=1024, name="flows")
    assert repr(m) == f"<HashMap 'flows' id={m.id} key=u32 value=raw(16) max_entries=1024>"
    m.pin(bpffs / "flows")
    assert repr(m).endswith(f"pinned at '{bpffs / 'flows'}'>")
    unnamed = make_map(ArrayMap, value=u64, max_entries=3)
    assert repr(unnamed) == f"<ArrayMap (unnamed) id={unnamed.id} key=u32 value=u64 max_entries=3>"
    readonly = make_map(HashMap, key=u32, value=u64, max_entries=2, flags=MapFlags.RDONLY)
    assert repr(readonly).endswith("max_entries=2 read-only>")


def test_map_created_read_only_for_user_space(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=2, flags=MapFlags.RDONLY)
    with pytest.raises(BpfPermissionError, match="read-only"):
        m[1] = 1
    assert list(m) == []


def test_maps_cannot_be_pickled(make_map: MakeMap) -> None:
    import pickle

    m = make_map(HashMap, key=u32, value=u64, max_entries=2)
    with pytest.raises(TypeError, match="pin the map"):
        pickle.dumps(m)


UNPRIVILEGED = """
import os
from pybpfmaps import HashMap, BpfPermissionError, u32  # before dropping root: the stdlib may be root-only
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
try:
    HashMap.create(key=u32, value=u32, max_entries=1)
except BpfPermissionError as exc:
    print(type(exc).__name__, isinstance(exc, PermissionError), exc)
"""


def test_unprivileged_create_is_a_permission_error_with_a_hint() -> None:
    if Path("/proc/sys/kernel/unprivileged_bpf_disabled").read_text().strip() == "0":
        pytest.fail("this machine allows unprivileged bpf(); the test expects it disabled (the default)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    result = subprocess.run([sys.executable, "-c", UNPRIVILEGED], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.startswith("BpfPermissionError True [Errno 1] BPF_MAP_CREATE on new hash map: ")
    assert "root or CAP_BPF" in result.stdout


def test_list_maps_reports_a_map_it_may_not_open_and_skips_one_that_went_away(
    make_map: MakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused, gone, fine = (make_map(HashMap, key=u32, value=u64, max_entries=4).id for _ in range(3))
    real = commands.map_get_fd_by_id

    def get_fd_by_id(map_id: int, open_flags: int) -> int:
        if map_id in (refused, gone):  # an LSM refusing one, another destroyed since MAP_GET_NEXT_ID
            raise RawBpfError(errno.EPERM if map_id == refused else errno.ENOENT, uapi.BPF_MAP_GET_FD_BY_ID)
        return real(map_id, open_flags)

    monkeypatch.setattr(commands, "map_get_fd_by_id", get_fd_by_id)
    listed = {info.id: info for info in list_maps()}
    assert gone not in listed
    assert listed[refused] == MapInfo(refused, MapType.UNSPEC, "", 0, 0, 0, MapFlags.NONE,
                                      error="cannot be opened: Operation not permitted")  # fmt: skip
    assert (listed[fine].type, listed[fine].error) == (MapType.HASH, None)


def test_list_maps_goes_on_when_maps_disappear_while_it_walks(make_map: MakeMap) -> None:
    doomed = [HashMap.create(key=u32, value=u64, max_entries=4) for _ in range(20)]
    walk = list_maps()
    first = next(walk)
    for m in doomed:  # destroyed between two steps of the walk
        m.close()
    rest = list(walk)
    assert first.id not in {info.id for info in rest}
    assert not {m.id for m in doomed} & {info.id for info in rest if info.id > first.id}
