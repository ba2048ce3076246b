"""docs/map-types.md lists every kernel map type once, with the class pybpfmaps opens it as."""

from __future__ import annotations

import re
from pathlib import Path

import pybpfmaps
from pybpfmaps.flags import MapType
from pybpfmaps.maps import _registry

PAGE = Path(__file__).parents[2] / "docs" / "map-types.md"


def test_every_map_type_has_a_row_naming_its_class() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \|", PAGE.read_text(), re.M)
    documented = dict(rows)
    assert len(rows) == len(documented)  # no type twice
    assert set(documented) == {t.name for t in MapType} - {"UNSPEC"}
    for name, cls_name in documented.items():
        cls = _registry.lookup_or_fallback(int(MapType[name]))
        assert cls is getattr(pybpfmaps, cls_name), name
