"""delete_many: stops at the first missing key like BPF_MAP_DELETE_BATCH, or skips it when asked."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from pybpfmaps import ArrayMap, BatchDeleteError, BpfMap, CodecError, HashMap, KeyNotFoundError, LruHashMap, u32, u64
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "hash, LRU and array maps with BTF")


def keys_in_kernel(m: BpfMap[Any, Any]) -> set[int]:
    return {struct.unpack("=I", k)[0] for k in bpftool.dump(m.id)}


@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_deletes_every_key(make_map: MakeMap, cls: type[HashMap[int, int]]) -> None:
    m = make_map(cls, key=u32, value=u64, max_entries=64)
    m.update_many({k: k for k in range(10)})
    assert m.delete_many(range(10)) == 10
    assert keys_in_kernel(m) == set()
    assert m.delete_many([]) == 0


def test_a_missing_key_stops_it_where_the_kernel_stops(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16, name="gone")
    m.update_many({1: 1, 2: 2, 3: 3})
    with pytest.raises(BatchDeleteError) as caught:
        m.delete_many([1, 2, 99, 3])
    assert (caught.value.applied, caught.value.failed_key) == (2, 99)
    assert isinstance(caught.value.__cause__, KeyNotFoundError)
    assert "delete_many on hash map 'gone'" in str(caught.value)
    assert keys_in_kernel(m) == {3}


def test_missing_ok_skips_missing_keys(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16)
    m.update_many({k: k for k in range(1, 6)})
    assert m.delete_many([1, 99, 2, 98, 97, 3], missing_ok=True) == 3
    assert m.delete_many([4, 4], missing_ok=True) == 1
    assert m.delete_many((k for k in [5, 6]), missing_ok=True) == 1
    assert keys_in_kernel(m) == set()


def test_many_keys_across_chunks(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=200_000)
    m.update_many((k, k) for k in range(150_000))
    assert m.delete_many(k for k in range(0, 150_000, 2)) == 75_000
    assert len(m) == 75_000
    assert m.delete_many(range(150_001), missing_ok=True) == 75_000
    assert keys_in_kernel(m) == set()


def test_unencodable_keys_delete_nothing(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16)
    m.update_many({1: 1, 2: 2})
    with pytest.raises(BatchDeleteError) as caught:
        m.delete_many([1, "two"])
    assert (caught.value.applied, caught.value.failed_key) == (0, "two")
    assert isinstance(caught.value.__cause__, CodecError)
    assert keys_in_kernel(m) == {1, 2}


def test_arrays_have_no_delete_many(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=4)
    assert not hasattr(a, "delete_many")
    assert not hasattr(a, "drain")
