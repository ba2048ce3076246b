"""How a map shows itself: its one-line ``repr``, and in IPython its first elements and key completions."""

from __future__ import annotations

import itertools
import os
from typing import Any

from pybpfmaps.maps import _completion
from pybpfmaps.maps._handle import MapHandle

PRETTY_ENTRIES = 10
"""How many elements IPython shows under a map."""

_ACCESS_NAMES = {os.O_RDONLY: "read-only", os.O_WRONLY: "write-only"}


def describe(h: MapHandle, kind: str, pin_path: str | None, codecs: bool = True, details: tuple[str, ...] = ()) -> str:
    """``<HashMap 'flows' id=7 key=Flow value=Stats max_entries=1024 read-only frozen pinned at '...'>``.

    *details* (``"records=Event"``) follow the codecs.
    """
    info = h.info
    parts = [f"<{kind}", repr(info.name) if info.name else "(unnamed)", f"id={info.id}"]
    if codecs:
        parts += [f"key={h.key!r}", f"value={h.value!r}"]
    parts += details
    parts.append(f"max_entries={info.max_entries}")
    if h.fd.closed:
        parts.append("closed")
    else:
        mode, frozen = h.fd_state()
        access = h.created_access or _ACCESS_NAMES.get(mode if mode is not None else os.O_RDWR)
        if access:
            parts.append(access)
        if frozen:
            parts.append("frozen")
    if pin_path:
        parts.append(f"pinned at {pin_path!r}")
    return " ".join(parts) + ">"


def head(h: MapHandle, count: int) -> dict[Any, Any]:
    """The first *count* elements, in the map's own order (without reading the whole map)."""
    unpack_key, unpack_value = h.key.unpack, h.value.unpack
    first: dict[Any, Any] = {}
    for raw_key in itertools.islice(h.raw_keys(), count):
        data = h.lookup_raw(raw_key)
        if data is not None:
            first[unpack_key(raw_key)] = unpack_value(data)
    return first


def pretty(h: MapHandle, text: str, printer: Any, cycle: bool) -> None:
    """IPython's display: the one-line *text* and the first elements, decoded."""
    printer.text(text)
    if cycle or h.fd.closed:
        return
    shown = head(h, PRETTY_ENTRIES + 1)
    with printer.indent(2):
        for index, (key, value) in enumerate(shown.items()):
            printer.break_()
            printer.text("..." if index == PRETTY_ENTRIES else f"{key!r}: {value!r}")


def key_completions(h: MapHandle) -> list[Any]:
    """Keys IPython offers after ``m[``: the first thousand (as many as come in a quarter of a
    second), as IPython takes them (``_completion.simple``)."""
    return [_completion.simple(key) for key in _completion.keys(h)]
