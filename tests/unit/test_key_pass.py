"""What one pass over the keys makes cheap, and what it may never do (``maps/_keypass.py``):

``dict(m)`` and ``list(m)`` read the map once; a lookup after a pass answers from that pass only for
the keys it handed out, in order, and never with a value older than this object's own last write.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pybpfmaps import HashMap
from pybpfmaps.maps import _keypass
from pybpfmaps.maps._handle import ChunkPolicy
from tests.support.fake_kernel import FakeKernel, fake_map, fresh_features

N = 20


def put(kernel: FakeKernel, key: int, value: int) -> None:
    """A write by someone else: another program, another process."""
    kernel.store[key.to_bytes(4, "little")] = value.to_bytes(8, "little")


@pytest.fixture
def kernel() -> Iterator[FakeKernel]:
    with fresh_features():
        made = FakeKernel(max_entries=64)
        for k in range(N):
            put(made, k, k * 3)
        yield made


@pytest.fixture
def m(kernel: FakeKernel) -> Iterator[HashMap[int, int]]:
    made: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(read_elements=4))
    yield made
    made.close()


def reads(kernel: FakeKernel) -> tuple[int, int]:
    """Batch reads and single lookups so far."""
    return kernel.count("map_lookup_batch"), kernel.count("map_lookup_elem")


def test_dict_of_the_map_reads_it_once(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    assert dict(m) == {k: k * 3 for k in range(N)}
    batches, lookups = reads(kernel)
    assert lookups == 0
    assert batches == N // 4 + 1  # one pass, chunks of 4 (the last read says: the end)


def test_list_asks_len_first_and_one_read_answers_both(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    for listing in (list(m), list(m.keys()), sorted(m)):
        assert sorted(listing) == list(range(N))
    assert reads(kernel)[0] == 3 * (N // 4 + 1)


def test_len_of_a_pass_not_begun_is_what_that_pass_yields(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    keys = iter(m)
    assert len(m) == N
    put(kernel, 100, 1)  # arrives after the read that len() made for the pass
    assert sorted(keys) == list(range(N))
    assert len(m) == N + 1  # no pass waiting: a read of its own


def test_a_write_through_the_map_is_never_answered_from_the_pass(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    keys = list(m.keys())
    m[keys[1]] = 7
    assert m[keys[0]] == keys[0] * 3
    assert m[keys[1]] == 7
    keys = list(m.keys())
    del m[keys[2]]
    with pytest.raises(KeyError):
        m[keys[2]]


def test_only_the_keys_handed_out_in_their_order_are_answered_from_the_pass(
    kernel: FakeKernel, m: HashMap[int, int]
) -> None:
    keys = list(m.keys())
    for k in range(N):
        put(kernel, k, 1000 + k)  # another program writes after the pass
    assert m[keys[0]] == keys[0] * 3  # as read by the pass, as m.items() would have given it
    assert m[keys[1]] == keys[1] * 3
    assert m[keys[3]] == 1000 + keys[3]  # out of order: from the kernel, and the pass is dropped
    assert m[keys[2]] == 1000 + keys[2]
    assert m[keys[4]] == 1000 + keys[4]  # in order again, but the pass was dropped at the first miss


def test_an_equal_key_that_is_another_object_goes_to_the_kernel(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    kernel.store.clear()
    put(kernel, 1000, 1)
    keys = list(m.keys())
    put(kernel, 1000, 2)
    same_value_other_object = int("1000")
    assert same_value_other_object is not keys[0]
    assert m[same_value_other_object] == 2


def test_a_pass_over_the_kept_bytes_keeps_nothing(
    kernel: FakeKernel, m: HashMap[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_keypass, "RECENT_BYTES", 8 * 4)  # one chunk's values
    assert dict(m) == {k: k * 3 for k in range(N)}
    assert reads(kernel)[1] == N  # a lookup per key, as before


def test_a_pass_left_unfinished_keeps_nothing(kernel: FakeKernel, m: HashMap[int, int]) -> None:
    keys = iter(m)
    first = next(keys)
    put(kernel, first, 1)
    assert m[first] == 1
