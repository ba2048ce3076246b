"""Keys for completion at a prompt: as Python source that reads back to the key (``literal``), and in
the forms IPython's own key completion takes (``simple``), from at most ``LIMIT`` keys read within
``BUDGET`` seconds, so that ``m[<tab>`` on a huge map answers at once."""

from __future__ import annotations

import enum
import ipaddress
import itertools
import time
from collections.abc import Iterator
from typing import Any

import attrs

from pybpfmaps.maps._handle import MapHandle

LIMIT = 1000
"""Keys offered at most."""
BUDGET = 0.25
"""Seconds spent reading keys at most."""

_ADDRESSES = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)


def keys(h: MapHandle, limit: int = LIMIT, budget: float = BUDGET) -> Iterator[Any]:
    """The map's first keys, decoded: up to *limit*, or as many as come within *budget* seconds."""
    deadline = time.monotonic() + budget
    for raw_key in itertools.islice(h.raw_keys(), limit):
        yield h.key.unpack(raw_key)
        if time.monotonic() > deadline:
            return


def literal(key: Any) -> str:
    """Python source for *key* that a map of its type takes back: ``42``, ``'10.0.0.1'``,
    ``Color.RED``, ``Flow(saddr='10.0.0.1', dport=443)``."""
    if isinstance(key, enum.Enum):
        return f"{type(key).__name__}.{key.name}"
    if isinstance(key, _ADDRESSES):
        return repr(str(key))
    if attrs.has(type(key)):
        fields = ", ".join(
            f"{field.alias or field.name}={literal(getattr(key, field.name))}"
            for field in attrs.fields(type(key))
            if field.init
        )
        return f"{type(key).__name__}({fields})"
    if isinstance(key, tuple):
        return "(" + ", ".join(map(literal, key)) + ("," if len(key) == 1 else "") + ")"
    return repr(key)


def simple(key: Any) -> Any:
    """*key* as IPython's key completion takes keys (ints, strings, bytes and tuples of them), in a
    form the map takes back: addresses as strings, enums as their numbers, structs as the tuple of
    their fields."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, enum.Enum):
        return simple(key.value)
    if isinstance(key, _ADDRESSES):
        return str(key)
    if attrs.has(type(key)):
        return tuple(simple(getattr(key, field.name)) for field in attrs.fields(type(key)) if field.init)
    if isinstance(key, tuple):
        return tuple(map(simple, key))
    if isinstance(key, (int, str, bytes)):
        return key
    return str(key)
