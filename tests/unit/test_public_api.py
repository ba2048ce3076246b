"""The public API is what tests/support/public_api.txt lists: a change to it is a reviewed, visible diff."""

from __future__ import annotations

import difflib
import re

import pybpfmaps
from tests.support import public_api
from tests.support.docpages import ROOT


def test_the_exported_names_and_signatures_match_the_snapshot() -> None:
    expected, actual = public_api.SNAPSHOT.read_text(), public_api.render()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "public_api.txt", "now"))
    assert not diff, (
        f"the public API changed:\n{diff}\nIf that is intended, run `python -m tests.support.public_api --write`, "
        "commit tests/support/public_api.txt and add a CHANGELOG.md entry."
    )


def test_all_has_no_duplicates_and_every_name_exists() -> None:
    assert len(set(pybpfmaps.__all__)) == len(pybpfmaps.__all__)
    for name in pybpfmaps.__all__:
        assert hasattr(pybpfmaps, name), name


def test_every_public_name_is_documented() -> None:
    for name in pybpfmaps.__all__:
        obj = getattr(pybpfmaps, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__doc__, name


def test_map_classes_are_bpfmaps() -> None:
    for cls in (pybpfmaps.HashMap, pybpfmaps.LruHashMap, pybpfmaps.ArrayMap, pybpfmaps.LpmTrieMap):
        assert issubclass(cls, pybpfmaps.BpfMap)
    assert issubclass(pybpfmaps.LruHashMap, pybpfmaps.HashMap)
    assert issubclass(pybpfmaps.HashMap, pybpfmaps.MutableBpfMap)
    assert not issubclass(pybpfmaps.ArrayMap, pybpfmaps.MutableBpfMap)


def test_the_api_reference_renders_every_public_name() -> None:
    reference = (ROOT / "docs" / "reference.md").read_text()
    rendered = set(re.findall(r"^::: pybpfmaps\.(\w+)$", reference, re.M))
    assert rendered == set(pybpfmaps.__all__) - {"__version__"}
