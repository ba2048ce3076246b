"""Hash maps on the real kernel: element ops, flags, the dict protocol (test_maps.c test_hashmap)."""

from __future__ import annotations

import struct
from collections.abc import MutableMapping

import pytest

from pybpfmaps import (
    BpfArgumentError,
    CodecError,
    CodecTypeError,
    HashMap,
    KeyExistsError,
    KeyNotFoundError,
    MapFlags,
    MapFullError,
    MapType,
    UpdateFlags,
    features,
    raw,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash maps with BTF")


def k(n: int) -> bytes:
    return struct.pack("=I", n)


def v(n: int) -> bytes:
    return struct.pack("=Q", n)


@pytest.fixture(params=[MapFlags.NONE, MapFlags.NO_PREALLOC], ids=["prealloc", "no_prealloc"])
def flags(request: pytest.FixtureRequest) -> MapFlags:
    flag: MapFlags = request.param
    return flag


def test_is_a_mutable_mapping(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    assert isinstance(m, MutableMapping)


def test_any_insert_and_overwrite_as_the_kernel_sees_it(make_map: MakeMap, flags: MapFlags) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, flags=flags)
    m[1] = 10
    m.put(2, 20, UpdateFlags.ANY)
    m[1] = 11
    assert bpftool.dump(m.id) == {k(1): v(11), k(2): v(20)}
    assert m[1] == 11
    assert m[2] == 20


def test_noexist_on_existing_key_raises_and_keeps_the_value(make_map: MakeMap, flags: MapFlags) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, flags=flags, name="noexist")
    m[1] = 10
    with pytest.raises(KeyExistsError, match=r"\[Errno 17\] BPF_MAP_UPDATE_ELEM on hash map 'noexist' .*: 1$"):
        m.put(1, 99, UpdateFlags.NOEXIST)
    m.put(2, 20, UpdateFlags.NOEXIST)
    assert bpftool.dump(m.id) == {k(1): v(10), k(2): v(20)}


def test_exist_on_missing_key_raises_and_inserts_nothing(make_map: MakeMap, flags: MapFlags) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, flags=flags)
    with pytest.raises(KeyNotFoundError, match="key not found: 3"):
        m.put(3, 30, UpdateFlags.EXIST)
    assert bpftool.dump(m.id) == {}
    m[3] = 1
    m.put(3, 30, UpdateFlags.EXIST)
    assert bpftool.dump(m.id) == {k(3): v(30)}


@pytest.mark.parametrize("bad", [3, 8, -1, 1 << 40, UpdateFlags.NOEXIST | UpdateFlags.EXIST])
def test_invalid_update_flags_are_refused_before_the_kernel(make_map: MakeMap, bad: int) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8)
    with pytest.raises(BpfArgumentError):
        m.put(1, 1, bad)
    assert bpftool.dump(m.id) == {}


def test_missing_key_is_a_key_error(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, name="flows")
    with pytest.raises(KeyError) as caught:
        m[5]
    assert str(caught.value) == f"[Errno 2] BPF_MAP_LOOKUP_ELEM on hash map 'flows' (id {m.id}): key not found: 5"
    assert m.get(5) is None
    assert m.get(5, 7) == 7
    assert 5 not in m
    with pytest.raises(KeyNotFoundError, match="BPF_MAP_DELETE_ELEM"):
        del m[5]


def test_full_map_refuses_new_keys_but_updates_old_ones(make_map: MakeMap, flags: MapFlags) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=2, flags=flags, name="tiny")
    m[1] = 1
    m[2] = 2
    with pytest.raises(MapFullError) as caught:
        m[3] = 3
    message = str(caught.value)
    assert "map full" in message
    assert "argument list" not in message.lower()
    assert "'tiny'" in message
    assert "BPF_MAP_UPDATE_ELEM" in message
    m[2] = 22
    m.put(1, 11, UpdateFlags.EXIST)
    assert bpftool.dump(m.id) == {k(1): v(11), k(2): v(22)}


def test_bad_keys_and_values_fail_before_any_syscall(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=8, name="typed")
    m[1] = 1
    with pytest.raises(CodecTypeError, match=r"bad key for hash map 'typed'.*u32 cannot encode '1' \(str\)"):
        m["1"] = 2
    with pytest.raises(CodecError, match=r"bad key .*out of range 0\.\.4294967295"):
        m[2**32] = 2
    with pytest.raises(CodecError, match=r"bad value .*u64 cannot encode -1"):
        m[1] = -1
    with pytest.raises(CodecTypeError, match="bad value"):
        m[1] = None
    with pytest.raises(CodecTypeError):
        "1" in m  # noqa: B015
    assert bpftool.dump(m.id) == {k(1): v(1)}


def test_dict_protocol(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16)
    m.update({1: 10, 2: 20})
    m.update([(3, 30)])
    assert len(m) == 3
    assert sorted(m) == [1, 2, 3]
    assert sorted(m.keys()) == [1, 2, 3]
    assert sorted(m.values()) == [10, 20, 30]
    assert sorted(m.items()) == [(1, 10), (2, 20), (3, 30)]
    assert (2, 20) in m.items()
    assert 2 in m.keys()  # noqa: SIM118 - the keys view is under test
    assert m == {1: 10, 2: 20, 3: 30}
    assert dict(m) == {1: 10, 2: 20, 3: 30}
    assert m.pop(2) == 20
    assert m.pop(2, "gone") == "gone"
    with pytest.raises(KeyError):
        m.pop(2)
    assert m.setdefault(1, 99) == 10
    assert m.setdefault(4, 40) == 40
    key, value = m.popitem()
    assert value == key * 10
    assert bpftool.dump(m.id) == {k(n): v(n * 10) for n in (1, 3, 4) if n != key}
    m.clear()
    assert bpftool.dump(m.id) == {}
    assert len(m) == 0
    with pytest.raises(KeyError, match="map is empty"):
        m.popitem()


def test_truth_is_one_syscall_not_a_count(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    assert not m
    m[1] = 1
    assert m
    del m[1]
    assert not m


def test_clear_many_keys(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u32, max_entries=1000)
    m.update((n, n) for n in range(1000))
    assert len(bpftool.dump(m.id)) == 1000
    m.clear()
    assert bpftool.dump(m.id) == {}


def test_raw_codecs_take_and_give_bytes(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=raw(6), value=raw(2), max_entries=4)
    m[b"\x02\x00\x00\x00\x00\x01"] = b"ok"
    assert bpftool.dump(m.id) == {b"\x02\x00\x00\x00\x00\x01": b"ok"}
    assert m[b"\x02\x00\x00\x00\x00\x01"] == b"ok"


@pytest.mark.parametrize("key_size", [1, 2, 3, 7, 64, 512])
@pytest.mark.parametrize("value_size", [1, 5, 256, 65536])
def test_hashmap_sizes(make_map: MakeMap, key_size: int, value_size: int) -> None:
    m = make_map(HashMap, key=raw(key_size), value=raw(value_size), max_entries=2)
    key, value = bytes(range(key_size % 256)) + b"k" * (key_size - key_size % 256), b"\xab" * value_size
    m[key] = value
    assert m[key] == value
    assert bpftool.dump(m.id) == {key: value}


def test_pop_is_atomic_lookup_and_delete(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4)
    m[7] = 70
    assert m.pop(7) == 70
    assert bpftool.dump(m.id) == {}
    assert features.atomic_pop(MapType.HASH)  # the kernel has BPF_MAP_LOOKUP_AND_DELETE_ELEM for hash maps (5.14+)
