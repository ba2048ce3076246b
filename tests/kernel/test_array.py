"""Array maps on the real kernel (test_maps.c test_arraymap): fixed indexes, no delete."""

from __future__ import annotations

import struct
from collections.abc import Mapping, MutableMapping

import pytest

from pybpfmaps import (
    ArrayIndexError,
    ArrayMap,
    BatchUpdateError,
    BpfArgumentError,
    CodecTypeError,
    KeyExistsError,
    NotSupportedError,
    UpdateFlags,
    i64,
    raw,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "array maps created with BTF")


def index(n: int) -> bytes:
    return struct.pack("=I", n)


def test_unset_indexes_read_as_zero_and_len_is_max_entries(make_map: MakeMap) -> None:
    a: ArrayMap[int] = make_map(ArrayMap, value=u64, max_entries=10)
    assert isinstance(a, Mapping)
    assert not isinstance(a, MutableMapping)
    assert len(a) == 10
    assert a
    assert list(a) == list(range(10))
    assert a[3] == 0
    assert list(a.values()) == [0] * 10
    assert bpftool.dump(a.id) == {index(i): bytes(8) for i in range(10)}


def test_writes_land_at_their_index(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=i64, max_entries=4)
    a[0] = -1
    a.update({2: 5, 3: 6})
    assert bpftool.dump(a.id) == {
        index(0): struct.pack("=q", -1),
        index(1): bytes(8),
        index(2): struct.pack("=q", 5),
        index(3): struct.pack("=q", 6),
    }
    assert dict(a.items()) == {0: -1, 1: 0, 2: 5, 3: 6}


def test_noexist_always_fails_and_exist_always_works(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=4)
    with pytest.raises(KeyExistsError):
        a.put(1, 1, UpdateFlags.NOEXIST)
    a.put(1, 9, UpdateFlags.EXIST)
    assert bpftool.dump(a.id)[index(1)] == struct.pack("=Q", 9)


@pytest.mark.parametrize("bad", [4, 5, 2**31, -1])
def test_out_of_range_index_is_index_and_key_error(make_map: MakeMap, bad: int) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=4, name="arr")
    with pytest.raises(ArrayIndexError, match=r"index .* out of range for array map 'arr' .*0\.\.3"):
        a[bad] = 1
    with pytest.raises(IndexError):
        a[bad]
    with pytest.raises(KeyError):
        a[bad]
    assert a.get(bad) is None
    assert bad not in a
    assert bpftool.dump(a.id) == {index(i): bytes(8) for i in range(4)}


def test_delete_is_refused_with_a_clear_message(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=4, name="arr")
    a[1] = 5
    with pytest.raises(NotSupportedError, match="array maps cannot delete elements") as caught:
        del a[1]
    assert "BPF_MAP_DELETE_ELEM" in str(caught.value)
    assert not hasattr(a, "pop")
    assert not hasattr(a, "clear")
    assert bpftool.dump(a.id)[index(1)] == struct.pack("=Q", 5)


def test_key_must_be_four_bytes(make_map: MakeMap) -> None:
    with pytest.raises(BpfArgumentError, match="4-byte"):
        make_map(ArrayMap, value=u64, max_entries=4, key=u64)


def test_raw_values(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=raw(3), max_entries=2)
    a[1] = b"xyz"
    assert a[1] == b"xyz"
    assert bpftool.dump(a.id) == {index(0): bytes(3), index(1): b"xyz"}


class IntLike:
    """An integer-like index, as numpy's integers are: an ``__index__`` and nothing else."""

    def __init__(self, value: int, broken: bool = False) -> None:
        self.value, self.broken = value, broken

    def __index__(self) -> int:
        if self.broken:
            raise ValueError("no index today")
        return self.value

    def __repr__(self) -> str:
        return f"IntLike({self.value})"


def test_every_integer_like_index_is_range_checked_before_anything_is_written(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=u64, max_entries=10)
    assert IntLike(50) not in a
    assert IntLike(3) in a
    with pytest.raises(ArrayIndexError, match="index 50 out of range"):
        a[IntLike(50)] = 1
    a[IntLike(2)] = 5
    a[True] = 6  # an int to Python, as list indexes are
    assert (a[2], a[1]) == (5, 6)
    with pytest.raises(BatchUpdateError) as failed:
        a.update_many([(0, 7), (IntLike(50), 8)])
    assert failed.value.applied == 0
    assert isinstance(failed.value.__cause__, ArrayIndexError)
    assert bpftool.dump(a.id)[struct.pack("=I", 0)] == bytes(8)  # nothing written before the check
    with pytest.raises(CodecTypeError, match=r"its __index__ raised ValueError\('no index today'\)"):
        a[IntLike(1, broken=True)]
    with pytest.raises(BatchUpdateError, match=r"its __index__ raised ValueError") as refused:
        a.update_many({IntLike(1, broken=True): 1})
    assert isinstance(refused.value.__cause__, CodecTypeError)
