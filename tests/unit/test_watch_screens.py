"""The live view's screens without a map: plain text when rich is missing or the output is not a
terminal, and the layout of a frame."""

from __future__ import annotations

import io
import sys

import pytest

from pybpfmaps.cli import watch


def test_without_rich_the_view_is_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)  # import rich.console raises ImportError
    out = io.StringIO()
    screen = watch._screen(out, live=True, plain=False)
    assert isinstance(screen, watch._PlainScreen)
    screen.show(watch.Frame("title", ("key", "value"), [("a", "1"), ("bb", "22")], right=(False, True)))
    screen.close()
    assert out.getvalue() == (
        watch.HIDE_CURSOR + watch.CLEAR + "title\n\nkey  value\na        1\nbb      22" + "\n" + watch.SHOW_CURSOR
    )


def test_off_a_terminal_frames_follow_each_other_without_escapes() -> None:
    out = io.StringIO()
    screen = watch._screen(out, live=False, plain=False)
    for number in (1, 2):
        screen.show(watch.Frame(f"frame {number}", lines=["drawn"]))
    screen.close()
    assert out.getvalue() == "frame 1\n\ndrawn\n\nframe 2\n\ndrawn\n\n"


def test_neither_the_library_nor_the_command_line_imports_the_optional_extras_until_drawn() -> None:
    import subprocess

    code = (
        "import sys, pybpfmaps, pybpfmaps.cli; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('rich', 'prompt_toolkit', 'IPython')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
