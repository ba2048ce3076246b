"""Every shape ``update_many`` takes writes what Python's own reading of that shape gives, in order.

The fake kernel keeps writes in a dict, so its contents after a call are those of applying the
pairs one by one (the last value of a repeated key wins); chunks of 4 cross chunk edges often.
"""

from __future__ import annotations

import array
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpfmaps import BatchUpdateError, HashMap
from pybpfmaps.maps import _shapes
from pybpfmaps.maps._handle import ChunkPolicy
from tests.support.fake_kernel import FakeKernel, fake_map, fresh_features

Pairs = list[tuple[int, int]]


class Pair(NamedTuple):
    key: int
    value: int


class PlainMapping(Mapping[int, int]):
    """A Mapping with the mixin's items(): read by key."""

    def __init__(self, data: dict[int, int]) -> None:
        self.data = data

    def __getitem__(self, key: int) -> int:
        return self.data[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class OwnItems(PlainMapping):
    """A Mapping whose items() is its own (as a BpfMap's batch read is): used, never m[key]."""

    def __getitem__(self, key: int) -> int:
        raise AssertionError("items() is the way to read this mapping")

    def items(self) -> Any:
        return list(self.data.items())


SHAPES: dict[str, Callable[[Pairs], Any]] = {
    "dict": dict,
    "dict.items()": lambda pairs: dict(pairs).items(),
    "Mapping": lambda pairs: PlainMapping(dict(pairs)),
    "Mapping with items()": lambda pairs: OwnItems(dict(pairs)),
    "list of pairs": list,
    "tuple of lists": lambda pairs: tuple([k, v] for k, v in pairs),
    "named tuples": lambda pairs: [Pair(k, v) for k, v in pairs],
    "generator": lambda pairs: (pair for pair in pairs),
    "zip of lists": lambda pairs: zip([k for k, _ in pairs], [v for _, v in pairs], strict=False),
    "zip, strict": lambda pairs: zip([k for k, _ in pairs], [v for _, v in pairs], strict=True),
    "zip of tuple and array": lambda pairs: zip(
        tuple(k for k, _ in pairs), array.array("Q", [v for _, v in pairs]), strict=False
    ),
    "zip of a generator": lambda pairs: zip([k for k, _ in pairs], (v for _, v in pairs), strict=False),
    "zip(it, it)": lambda pairs: pairwise(iter([x for pair in pairs for x in pair])),
}


def pairwise(flat: Iterator[int]) -> zip[tuple[int, int]]:
    """The idiom ``zip(it, it)``: neighbours of one iterator as pairs."""
    return zip(flat, flat, strict=False)


@pytest.fixture
def kernel() -> Iterator[FakeKernel]:
    with fresh_features():
        yield FakeKernel(max_entries=64)


def written(kernel: FakeKernel, given: Any, batch: bool = True) -> tuple[int, dict[int, int]]:
    kernel.batch = batch
    m: HashMap[int, int] = fake_map(kernel, chunks=ChunkPolicy(write_elements=4))
    try:
        count = m.update_many(given)
    finally:
        m.close()
    return count, {int.from_bytes(k, "little"): int.from_bytes(v, "little") for k, v in kernel.store.items()}


@pytest.mark.parametrize("shape", SHAPES)
@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2**64 - 1)), max_size=30), batch=st.booleans())
def test_every_shape_writes_what_python_reads_from_it(shape: str, pairs: Pairs, batch: bool) -> None:
    with fresh_features():
        kernel = FakeKernel(max_entries=64)
        expected = list(dict(pairs).items()) if "dict" in shape or "Mapping" in shape else pairs
        count, stored = written(kernel, SHAPES[shape](pairs), batch)
    assert count == len(expected)
    assert stored == dict(expected)


@pytest.mark.parametrize("strict", [False, True])
def test_zip_of_unequal_lengths_writes_what_zip_yields(kernel: FakeKernel, strict: bool) -> None:
    keys, values = list(range(10)), [k * 3 for k in range(6)]
    if not strict:
        assert written(kernel, zip(keys, values, strict=False)) == (6, {k: k * 3 for k in range(6)})
        return
    with pytest.raises(BatchUpdateError, match=r"input failed|shorter") as caught:
        written(kernel, zip(keys, values, strict=True))
    assert caught.value.applied == 4  # the first chunk; zip's error comes inside the second
    assert isinstance(caught.value.__cause__, ValueError)
    assert "shorter" in str(caught.value.__cause__)


def test_strict_zip_with_values_left_over_fails_after_the_last_key(kernel: FakeKernel) -> None:
    with pytest.raises(BatchUpdateError) as caught:
        written(kernel, zip(range(8), range(9), strict=True))
    assert caught.value.applied == 8
    assert "longer" in str(caught.value.__cause__)
    assert len(kernel.store) == 8


def test_columns_are_read_from_zip_only_where_that_cannot_differ() -> None:
    data = [1, 2, 3]
    assert _shapes._unzipped(zip(data, data, strict=False), 4) is not None  # two iterators over one list: independent
    shared = iter(data)
    assert _shapes._unzipped(zip(shared, shared, strict=False), 4) is None  # one iterator: zip pairs neighbours
    assert _shapes._unzipped(zip(data, map(str, data), strict=False), 4) is None  # a map may read anything
    assert _shapes._unzipped(zip(data, data, data, strict=False), 4) is None


@pytest.mark.parametrize("bad", [{"key": 1, "value": 2}, "ab", b"\x01\x02", range(2), (1, 2, 3), (1,), 7])
def test_split_refuses_what_is_not_a_pair(bad: object) -> None:
    with pytest.raises(_shapes.BadElement) as caught:
        _shapes.split([(1, 1), [2, 2], bad])
    assert caught.value.key is bad


def test_not_iterable_is_an_argument_error(kernel: FakeKernel) -> None:
    from pybpfmaps import BpfArgumentError

    with pytest.raises(BpfArgumentError, match="got 5"):
        written(kernel, 5)
    assert kernel.store == {}
