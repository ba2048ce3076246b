"""What a REPL shows: IPython's display with the first entries, key completion, head()."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from pybpfmaps import ArrayMap, HashMap, u32, u64
from tests.kernel.conftest import MakeMap

pytestmark = pytest.mark.needs_kernel("4.18", "hash and array maps with BTF")


class Printer:
    """The part of IPython's pretty printer that ``_repr_pretty_`` uses."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 0

    def text(self, text: str) -> None:
        self.parts.append(text)

    def break_(self) -> None:
        self.parts.append("\n" + " " * self.depth)

    @contextlib.contextmanager
    def indent(self, by: int) -> Iterator[None]:
        self.depth += by
        yield
        self.depth -= by

    def shown(self, obj: Any) -> str:
        obj._repr_pretty_(self, False)
        return "".join(self.parts)


def test_pretty_display_shows_the_first_entries(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=64, name="shown")
    m.update_many({n: n * 2 for n in range(30)})
    lines = Printer().shown(m).splitlines()
    assert lines[0] == repr(m)
    assert len(lines) == 12
    assert lines[-1] == "  ..."
    entries = [line.strip().split(": ") for line in lines[1:-1]]
    assert all(int(value) == 2 * int(key) for key, value in entries)
    small = make_map(ArrayMap, value=u64, max_entries=3)
    assert Printer().shown(small).splitlines()[1:] == ["  0: 0", "  1: 0", "  2: 0"]
    small.close()
    assert Printer().shown(small).endswith(" closed>")


def test_head_and_key_completions(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=4096)
    m.update_many({n: n for n in range(2000)})
    first = m.head(5)
    assert len(first) == 5
    assert all(m[key] == value for key, value in first.items())
    completions = m._ipython_key_completions_()
    assert 1 <= len(completions) <= 1000  # a thousand, unless a quarter of a second reads fewer
    assert set(completions) <= set(range(2000))
