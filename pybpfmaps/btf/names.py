"""How C names become Python names: one rule for struct, union and data section members, classes and enum members.

The rule, applied in this order:

1. A character outside ``[A-Za-z0-9_]`` becomes ``_``; a name starting with a digit gets a ``_`` in front.
2. A Python keyword (``class``, ``from``, ``lambda``, ``None``...) gets a ``_`` appended: ``class_``.
3. A dunder name (``__x__``, which Python reserves) gets a ``_`` appended: ``__x___``.
4. An anonymous member (C11 ``struct { union { ... }; }``) is called ``anon0``, ``anon1``... in order.
5. A name already taken in the same struct gets ``_`` appended until it is free.

Everything else keeps its C name: ``_1``, ``_pad`` beside ``pad``, ``__reserved``, ``self``. The
C name itself is kept beside (``C_NAME`` in the field's metadata) for BTF, the command line's
JSON and bpftool's spelling.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9_]")


def python_name(c_name: str) -> str:
    """Steps 1-3 of the rule for one non-empty name."""
    name = _NOT_ASCII_WORD.sub("_", c_name)
    if name[:1].isdigit():
        name = "_" + name
    if keyword.iskeyword(name) or is_dunder(name):
        name += "_"
    return name


def is_dunder(name: str) -> bool:
    """Whether *name* is of Python's reserved ``__x__`` form."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def member_names(c_names: Sequence[str]) -> list[str]:
    """The Python names of a struct's members, given their C names in order ("" for anonymous ones)."""
    names: list[str | None] = [python_name(c_name) if c_name else None for c_name in c_names]
    taken: set[str] = set()
    for index, name in enumerate(names):
        if name is not None:
            names[index] = _free(name, taken)
    anonymous = 0
    for index, name in enumerate(names):
        if name is None:
            names[index] = _free(f"anon{anonymous}", taken)
            anonymous += 1
    return [name for name in names if name is not None]


def class_name(c_name: str, fallback: str) -> str:
    """A class's name: the C name by the rule, or *fallback* for an anonymous type."""
    return python_name(c_name.lstrip(".")) if c_name.strip(".") else fallback


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name
