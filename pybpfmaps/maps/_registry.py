"""Which class wraps which kernel map type: filled by the classes themselves (``map_type = ...``)."""

from __future__ import annotations

from typing import Any

_classes: dict[int, type[Any]] = {}


def register(map_type: int, cls: type[Any]) -> None:
    _classes[map_type] = cls


def lookup(map_type: int) -> type[Any] | None:
    """The class registered for *map_type*, or ``None``: pybpfmaps has none yet."""
    return _classes.get(map_type)
