"""``pybpfmaps shell``: a Python prompt with maps opened and pybpfmaps imported: IPython when it is
installed (with ``pybpfmaps.ipython`` loaded), else ``console``'s prompt; the maps in scope are
listed on entry."""

from __future__ import annotations

import argparse
import importlib.util
import keyword
from typing import Any

import pybpfmaps
from pybpfmaps.cli import console
from pybpfmaps.cli.resolve import open_any
from pybpfmaps.maps import MapCore


def add_arguments(command: argparse.ArgumentParser, map_help: str) -> None:
    """The options of ``shell``."""
    command.add_argument("maps", nargs="*", metavar="MAP", help=map_help)
    command.add_argument("--python", action="store_true", help="Python's own prompt even where IPython is installed")


def cmd_shell(args: argparse.Namespace) -> int:
    maps = [open_any(spec) for spec in args.maps]
    try:
        namespace, banner = scope(maps)
        if not args.python and importlib.util.find_spec("IPython") is not None:
            from IPython import start_ipython  # noqa: PLC0415 - optional

            print(banner)
            start_ipython(argv=["--no-banner", "--ext=pybpfmaps.ipython"], user_ns=namespace)
        else:
            console.interact(namespace, banner)
    finally:
        for m in maps:
            m.close()
    return 0


def scope(maps: list[MapCore]) -> tuple[dict[str, Any], str]:
    """The prompt's names (pybpfmaps' own, each map under its name, the types of their keys) and the
    banner that lists the maps."""
    namespace: dict[str, Any] = {"pybpfmaps": pybpfmaps, "maps": maps}
    namespace.update({name: getattr(pybpfmaps, name) for name in pybpfmaps.__all__ if not name.startswith("_")})
    lines = ["pybpfmaps shell: everything in pybpfmaps is imported; maps[...] holds the maps opened."]
    for index, m in enumerate(maps):
        alias = m.name if m.name.isidentifier() and not keyword.iskeyword(m.name) else f"m{index}"
        if alias in namespace:
            alias = f"m{index}"
        namespace[alias] = m
        lines.append(f"  {alias} = {m!r}")
        for codec in (getattr(m, "key_codec", None), getattr(m, "value_codec", None)):
            kind = getattr(codec, "cls", None) or getattr(codec, "enum", None)
            if isinstance(kind, type) and kind.__name__.isidentifier():
                namespace.setdefault(kind.__name__, kind)  # key literals are constructor calls: Flow(...)
    if maps:
        namespace.setdefault("m", maps[0])
        lines.append("Tab completes names, attributes and keys (m[<tab>); help(m) describes a map.")
    else:
        lines.append("No maps opened: pybpfmaps shell MAP... opens them (by id, pinned path or name).")
    return namespace, "\n".join(lines)
