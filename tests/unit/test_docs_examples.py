"""Every fenced block of README.md and docs/*.md is run by some test, or is plainly not code.

- ``python`` blocks are doctests (``>>>`` prompts), run by pytest's ``--doctest-glob=*.md``, or show
  a whole example program (``--8<-- "examples/NAME.py"``) that a test of tests/ runs;
- ``console`` blocks are sessions run command by command by tests/kernel/test_docs_console.py;
- ``toml`` blocks are configuration that tests/unit/test_mypy_plugin.py feeds to mypy;
- ``sh`` blocks may only hold ``make`` targets of the Makefile (``make test`` is what CI runs);
- ``c`` blocks show a whole BPF program of examples/ (``--8<-- "examples/NAME.bpf.c"``) that a test
  of tests/ builds with clang;
- ``text`` blocks show output, trees and tables, not commands.

A block in any other language, or with none, fails here: make it one of the above.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from tests.support.docpages import PAGES, ROOT, blocks

BLOCKS = [(page, language, body) for page in PAGES for language, body in blocks(page)]
IDS = [f"{page.name}#{index}-{language or 'none'}" for index, (page, language, _) in enumerate(BLOCKS)]
MAKE_TARGETS = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def describe(page: Path, body: str) -> str:
    return f"{page.relative_to(ROOT)}: a block starting {body.splitlines()[0]!r}" if body.strip() else str(page)


@pytest.mark.parametrize(("page", "language", "body"), BLOCKS, ids=IDS)
def test_every_block_runs_or_is_not_code(page: Path, language: str, body: str) -> None:
    where = describe(page, body)
    if language == "python" and body.startswith('--8<-- "examples/'):
        example = body.strip().removeprefix("--8<-- ").strip('"')
        assert (ROOT / example).is_file(), f"{where}: {example} does not exist"
        runners = [
            test for test in (ROOT / "tests").rglob("test_*.py") if f'"{Path(example).name}"' in test.read_text()
        ]
        assert runners, f"{where}: no test runs {example}"
    elif language == "c":
        example = body.strip().removeprefix("--8<-- ").strip('"')
        assert body.startswith('--8<-- "examples/'), f"{where}: c blocks include examples"
        assert example.endswith(".bpf.c"), f"{where}: c blocks include examples"
        assert (ROOT / example).is_file(), f"{where}: {example} does not exist"
        assert any(f'"{Path(example).name}"' in test.read_text() for test in (ROOT / "tests").rglob("test_*.py")), (
            f"{where}: no test builds {example}"
        )
    elif language == "python":
        examples = doctest.DocTestParser().get_examples(body)
        assert examples, f"{where} has no >>> examples, so no test runs it"
    elif language == "console":
        assert body.startswith("$ "), f"{where}: a console session starts with a '$ ' command"
    elif language == "toml":
        assert page.name == "codecs.md", f"{where}: only the mypy configuration of codecs.md is tested"
    elif language == "sh":
        commands = [line.split("#")[0].split() for line in body.splitlines() if line.strip()]
        for command in commands:
            message = f"{where}: sh blocks may only run Makefile targets; make it a console session"
            assert command[:1] == ["make"], message
            assert set(command[1:]) <= MAKE_TARGETS, message
    else:
        assert language == "text", f"{where}: fence language {language!r} is not run by any test"


def test_the_pages_have_blocks_of_each_kind() -> None:
    languages = {language for _, language, _ in BLOCKS}
    assert {"python", "console", "text", "sh", "toml"} <= languages
