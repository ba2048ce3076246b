"""A real Ctrl-C at every line of the bulk operations, one line per run, not at random times.

A tracer (``sys.settrace``) counts the lines pybpfmaps runs during an operation and, in run N,
sends SIGINT to this process at line N; the handler in place at that moment handles it as a
terminal's Ctrl-C would be. After every run: the process's SIGINT handler is Python's default
again, no use of the map's fd is left open (``close()`` would close it), the interrupt came out
as a ``BatchInterrupted`` whose account matches what the kernel holds (or, in the first lines of
the call, before anything is done, as a plain KeyboardInterrupt; or, after its last line, with
everything done), and no Ctrl-C was lost. Native batch commands here, the per-element paths in
the emulated-kernel runs.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import pybpfmaps
from pybpfmaps import BatchInterrupted, HashMap, UpdateFlags, u32, u64
from pybpfmaps.maps import _handle
from pybpfmaps.maps._handle import ChunkPolicy

pytestmark = pytest.mark.needs_kernel("4.18", "hash maps with BTF")

PACKAGE = str(Path(pybpfmaps.__file__).parent)
N = 10
INITIAL = {k: k for k in range(N)}
ENTRY = 4
"""Lines at the call itself: the map's method, the bulk function's first statement, and the first
statement and ``try:`` of the function that defers Ctrl-C (or, for removals, the bulk function's
first statement and ``try:``). A Ctrl-C there comes before anything is done, as a plain
KeyboardInterrupt: the caller's own."""


class Injector:
    """Counts the lines pybpfmaps runs; sends SIGINT at line *at* (never, if ``None``)."""

    def __init__(self, at: int | None) -> None:
        self.at = at
        self.lines = 0
        self.where = ""

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        return self.line if frame.f_code.co_filename.startswith(PACKAGE) else None

    def line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines == self.at:
                self.where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} ({frame.f_code.co_name})"
                signal.raise_signal(signal.SIGINT)
        return self.line


Operation = Callable[[Any], Any]
OPERATIONS: dict[str, tuple[dict[int, int], Operation, dict[int, int]]] = {
    # name: (map before, the operation, map after it completes)
    "update_many": ({}, lambda m: m.update_many(INITIAL), INITIAL),
    "update_many_stream": ({}, lambda m: m.update_many(iter(INITIAL.items())), INITIAL),  # written while read
    "update_many_each": ({}, lambda m: m.update_many(iter(INITIAL.items()), flags=UpdateFlags.NOEXIST), INITIAL),
    "delete_many": (INITIAL, lambda m: m.delete_many(list(INITIAL)), {}),
    "drain": (INITIAL, lambda m: m.drain(), {}),
    "pop_many": (INITIAL, lambda m: m.pop_many(N), {}),
}


def run(m: Any, operation: Operation, at: int | None) -> tuple[Injector, Any, BaseException | None]:
    injector = Injector(at)
    result: Any = None
    failure: BaseException | None = None
    try:
        sys.settrace(injector.trace)
        try:
            result = operation(m)
        finally:
            sys.settrace(None)
        _settle()
    except BaseException as exc:
        failure = exc
    return injector, result, failure


def _settle() -> None:
    """A call: Python runs a pending signal handler here at the latest."""


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_ctrl_c_at_any_line_leaves_an_exact_account(
    name: str, make_map: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.setattr(_handle, "CHUNKS", ChunkPolicy(write_elements=4, read_elements=4))  # lines between syscalls
    before, operation, after = OPERATIONS[name]
    m = make_map(HashMap, key=u32, value=u64, max_entries=64)
    reader = HashMap.from_id(m.id, key=u32, value=u64)
    try:
        reader.update_many(before)
        run(m, operation, None)  # warm: the batch probes' answers are cached from here on
        reader.clear()
        reader.update_many(before)
        lines = run(m, operation, None)[0].lines  # a dry run counts them
        assert lines > 50
        outcomes = {"entry": 0, "during": 0, "after": 0}
        for at in range(1, lines + 1):
            reader.clear()
            reader.update_many(before)
            injector, result, failure = run(m, operation, at)
            where = f"{name}: SIGINT at line {at} of {lines}, {injector.where}"
            assert injector.where, f"{where}: this run took fewer lines than the dry run"
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, where
            assert m._handle.fd._users == [], f"{where}: a use of the fd was left open"
            held = reader.copy()
            assert isinstance(failure, KeyboardInterrupt), f"{where}: the Ctrl-C was lost ({failure!r})"
            if isinstance(failure, BatchInterrupted):
                outcomes["during"] += 1
                if failure.removed is not None:  # a removal: what it removed and what is left are everything
                    assert failure.undecoded == [], where
                    assert len(failure.removed) == failure.applied, where
                    assert {**failure.removed, **held} == before, where
                    assert not set(failure.removed) & set(held), where
                elif name.startswith("update_many"):
                    assert held == dict(list(INITIAL.items())[: failure.applied]), where
                else:
                    assert held == dict(list(INITIAL.items())[failure.applied :]), where
            elif result is not None:
                outcomes["after"] += 1  # it came when the operation had returned
                assert held == after, where
            else:
                outcomes["entry"] += 1  # it came as the operation was called: nothing done
                assert held == before, where
                assert at <= ENTRY, f"{where}: a plain KeyboardInterrupt from inside the operation"
        assert outcomes["during"] > lines // 2, outcomes
    finally:
        reader.close()
