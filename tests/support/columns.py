"""What ``Columns`` must hold for a decoded value: the same value, field by field, as a column reads it."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from pybpfmaps.codecs.aggregates import AggregateCodec
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.structs import StructCodec


def cell(column: Any, index: int) -> Any:
    """Element *index* of a column: a dict of its fields' cells for a struct."""
    if isinstance(column, dict):
        return {name: cell(inner, index) for name, inner in column.items()}
    return column[index]


def as_cell(value: Any, codec: Codec[Any]) -> Any:
    """A decoded value as its column holds it: structs as dicts by field, IPv4 addresses as numbers."""
    if isinstance(codec, StructCodec):
        return {name: as_cell(getattr(value, name), inner) for name, _, _, inner in codec.fields}
    if isinstance(codec, AggregateCodec) and not codec.union:
        return {slot.name: as_cell(getattr(value, slot.name), slot.codec) for slot in codec.slots}
    if isinstance(value, ipaddress.IPv4Address):
        return int(value)
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (a float column holds the bits; Python compares NaN unequal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)
