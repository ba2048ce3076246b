"""The Python prompt of ``pybpfmaps shell`` where IPython is not installed (or ``--python``):
prompt_toolkit's line editor when it is installed, else readline's; either way Tab completes names,
attributes and the keys of maps (``flows[<tab>``), history is kept between sessions, and
pybpfmaps' errors show as one line."""

from __future__ import annotations

import code
import contextlib
import os
import re
import rlcompleter
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pybpfmaps.errors import BpfError
from pybpfmaps.ipython import key_completions

_WORD = re.compile(r"[\w.]*$")


def history_path() -> Path:
    """Where the prompt keeps its history: ``$PYBPFMAPS_HISTORY``, else ``~/.pybpfmaps_history``."""
    return Path(os.environ.get("PYBPFMAPS_HISTORY") or Path.home() / ".pybpfmaps_history")


class Console(code.InteractiveConsole):
    """Python's console, with pybpfmaps' errors as one line (``Type: message``)."""

    def showtraceback(self) -> None:
        kind, error, _tb = sys.exc_info()
        if isinstance(error, BpfError) and kind is not None:
            self.write(f"{kind.__name__}: {error}\n")
            return
        super().showtraceback()


def completions(namespace: dict[str, Any], line: str) -> tuple[int, list[str]]:
    """How many characters at the end of *line* the completions replace, and the completions: the
    keys of a map after ``m[``, else names and attributes (Python's own ``rlcompleter``)."""
    found = key_completions(namespace, line)
    if found is not None:
        partial, texts = found
        return len(partial), texts
    word = _WORD.search(line)
    token = word.group(0) if word else ""
    completer = rlcompleter.Completer(namespace)
    matches: list[str] = []
    while (match := completer.complete(token, len(matches))) is not None:
        matches.append(match)
    return len(token), matches


def interact(namespace: dict[str, Any], banner: str) -> None:
    """Run the prompt until end of input (Ctrl-D) or ``exit()``."""
    console = Console(namespace)
    try:
        from prompt_toolkit import PromptSession  # noqa: PLC0415 - optional
    except ImportError:
        _with_readline(console, namespace, banner)
        return
    if not sys.stdin.isatty():
        console.interact(banner=banner, exitmsg="")
        return
    _with_prompt_toolkit(console, namespace, banner, PromptSession)


def _with_prompt_toolkit(console: Console, namespace: dict[str, Any], banner: str, session_type: Any) -> None:
    from prompt_toolkit.completion import Completer, Completion  # noqa: PLC0415
    from prompt_toolkit.history import FileHistory  # noqa: PLC0415

    class Keys(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterator[Any]:
            replaced, texts = completions(namespace, document.text_before_cursor)
            for text in texts:
                yield Completion(text, start_position=-replaced)

    history = history_path()
    history.parent.mkdir(parents=True, exist_ok=True)
    session = session_type(history=FileHistory(str(history)), completer=Keys(), complete_while_typing=False)
    print(banner)
    more = False
    while True:
        try:
            line = session.prompt("... " if more else ">>> ")
        except KeyboardInterrupt:
            console.resetbuffer()
            more = False
            print("KeyboardInterrupt")
            continue
        except EOFError:
            break
        try:
            more = console.push(line)
        except SystemExit:
            break


def _with_readline(console: Console, namespace: dict[str, Any], banner: str) -> None:
    try:
        import readline  # noqa: PLC0415 - not on every platform
    except ImportError:
        console.interact(banner=banner, exitmsg="")
        return
    offered: list[str] = []

    def complete(text: str, state: int) -> str | None:
        if state == 0:
            line = readline.get_line_buffer()[: readline.get_endidx()]
            replaced, texts = completions(namespace, line)
            typed = line[len(line) - replaced : readline.get_begidx()]  # what precedes readline's word
            offered[:] = [each[len(typed) :] for each in texts if each.startswith(typed)]
        return offered[state] if state < len(offered) else None

    history = history_path()
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    try:
        console.interact(banner=banner, exitmsg="")
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)
