"""What an unprivileged user meets at every entry point; run by tests.privileges, prints JSON lines.

``main([pin_readable, pin_private, map_id])``: each line is {"what", "ok" or "error" and "type"}.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
from collections.abc import Callable
from typing import Any

from pybpfmaps import BpfMap, BpfProgram, HashMap, ProgType, asm, list_maps, u32, u64
from pybpfmaps.cli import main as cli_main


def attempt(what: str, action: Callable[[], Any]) -> None:
    report: dict[str, Any] = {"what": what}
    try:
        report["ok"] = action()
    except Exception as exc:
        report.update(type=type(exc).__name__, error=str(exc), permission=isinstance(exc, PermissionError))
    print(json.dumps(report, default=repr), flush=True)


def read_only(path: str) -> Any:
    with BpfMap.from_pin(path, readonly=True) as m:
        contents = {k.hex(): v.hex() for k, v in m.items()}
        try:
            m[bytes(4)] = bytes(8)
            written = "written"
        except Exception as exc:
            written = f"{type(exc).__name__}: {exc}"
        return {"contents": contents, "write": written}


def created() -> Any:
    with HashMap.create(key=u32, value=u64, max_entries=4) as m:
        m[1] = 1
        return dict(m)


def program() -> Any:
    with BpfProgram.load([asm.mov(0, 2), asm.exit()], ProgType.XDP) as loaded:
        return loaded.id


def cli(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(argv))
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def main(args: list[str]) -> None:
    readable, private, map_id = args
    attempt("create", created)
    attempt("program", program)
    attempt("from_pin", lambda: BpfMap.from_pin(readable).close())
    attempt("from_pin readonly", lambda: read_only(readable))
    attempt("from_pin private", lambda: BpfMap.from_pin(private, readonly=True).close())
    attempt("from_id", lambda: BpfMap.from_id(int(map_id)).close())
    attempt("list_maps", lambda: list(list_maps()))
    for argv in (["list"], ["show", map_id], ["dump", readable], ["get", readable, "1"], ["set", readable, "1", "5"]):
        attempt("cli " + argv[0], functools.partial(cli, *argv))
