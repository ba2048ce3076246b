"""``Columns``: a whole map read as columns of keys and values, with no Python object per element.

``m.columns()`` reads the map as ``m.copy()`` does (batch reads where the kernel has them) but
decodes each side with its codec's ``unpack_column``: integers and floats become one
``array.array`` each (a buffer ``numpy.frombuffer`` and ``memoryview`` read without copying), a
struct becomes a dict of such columns keyed by field name, other types a list of values.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Columns:
    """The keys and values of a map read at one time, as columns: element *i* is ``keys[i]`` →
    ``values[i]`` (for a struct side, ``keys[field][i]``)."""

    keys: Any
    """An ``array.array`` (integers, floats), a dict of columns by field name (structs), or a list."""
    values: Any
    """As ``keys``, for the values."""
    count: int
    """How many elements were read."""

    def __len__(self) -> int:
        return self.count
