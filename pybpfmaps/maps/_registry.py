"""Which class wraps which kernel map type: filled by the classes themselves (``map_type = ...``)."""

from __future__ import annotations

from typing import Any

_classes: dict[int, type[Any]] = {}
_fallback: list[type[Any]] = []


def register(map_type: int, cls: type[Any]) -> None:
    _classes[map_type] = cls


def register_fallback(cls: type[Any]) -> None:
    """The class of map types no class is registered for (``GenericMap``)."""
    _fallback[:] = [cls]


def lookup(map_type: int) -> type[Any] | None:
    """The class registered for *map_type*, or ``None``: pybpfmaps has none yet."""
    return _classes.get(map_type)


def lookup_or_fallback(map_type: int) -> type[Any]:
    """The class registered for *map_type*, else the fallback for every other type."""
    return _classes.get(map_type) or _fallback[0]
