"""``pybpfmaps shell``: a Python prompt (IPython when installed) with maps opened and pybpfmaps imported."""

from __future__ import annotations

import argparse
import code
import keyword
from typing import Any

import pybpfmaps
from pybpfmaps.cli.resolve import open_any


def cmd_shell(args: argparse.Namespace) -> int:
    maps = [open_any(spec) for spec in args.maps]
    try:
        namespace: dict[str, Any] = {"pybpfmaps": pybpfmaps, "maps": maps}
        namespace.update({name: getattr(pybpfmaps, name) for name in pybpfmaps.__all__ if not name.startswith("_")})
        lines = ["pybpfmaps shell: everything in pybpfmaps is imported; maps[...] holds the maps opened."]
        for index, m in enumerate(maps):
            alias = m.name if m.name.isidentifier() and not keyword.iskeyword(m.name) else f"m{index}"
            if alias in namespace:
                alias = f"m{index}"
            namespace[alias] = m
            lines.append(f"  {alias} = {m!r}")
        if maps:
            namespace.setdefault("m", maps[0])
        banner = "\n".join(lines)
        try:
            from IPython import start_ipython  # noqa: PLC0415 - optional
        except ImportError:
            code.interact(banner=banner, local=namespace, exitmsg="")
        else:
            print(banner)
            start_ipython(argv=["--no-banner"], user_ns=namespace)
    finally:
        for m in maps:
            m.close()
    return 0
