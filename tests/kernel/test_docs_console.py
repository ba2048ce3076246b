"""The ```console sessions of README.md and docs/*.md run, command by command, and print what the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docpages import PAGES, ROOT, blocks

pytestmark = pytest.mark.needs_kernel("5.2", "the maps the docs' console sessions make, with BTF and frozen")

SESSIONS = [(page, index, block) for page in PAGES for index, (_, block) in enumerate(blocks(page, "console"))]


def steps(block: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$ `` line of a session."""
    result: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            result.append((line[2:], []))
        elif result:
            result[-1][1].append(line)
    return result


def matches(expected: list[str], output: str) -> bool:
    """Whether *output* is *expected*: a line ``...`` stands for any number of lines, ``...`` within a
    line for any text, and runs of spaces (table columns) for any run of spaces."""
    lines = output.rstrip("\n").splitlines() if output.strip() else []

    def line_matches(want: str, got: str) -> bool:
        pattern = re.escape(" ".join(want.split())).replace(re.escape("..."), ".*").replace(r"\ ", " +")
        return re.fullmatch(pattern, " ".join(got.split())) is not None

    def match(i: int, j: int) -> bool:
        if i == len(expected):
            return j == len(lines)
        if expected[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(lines) + 1))
        return j < len(lines) and line_matches(expected[i], lines[j]) and match(i + 1, j + 1)

    return match(0, 0)


@pytest.mark.parametrize(("page", "index", "block"), SESSIONS, ids=[f"{p.name}#{i}" for p, i, _ in SESSIONS])
def test_console_session(page: Path, index: int, block: str, bpffs: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # sessions build examples/*.bpf.c
    for command, expected in steps(block):
        shell_command = command.replace("/sys/fs/bpf", str(bpffs)).replace("python3 ", f"{sys.executable} ", 1)
        result = subprocess.run(
            ["bash", "-c", shell_command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        output = (result.stdout + result.stderr).replace(str(bpffs), "/sys/fs/bpf")
        detail = f"{page.name}: $ {command}\n--- expected\n" + "\n".join(expected) + f"\n--- got\n{output}"
        assert matches(expected, output), detail
