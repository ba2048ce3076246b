"""Driving a long-running command as a user does: start it, read its lines, Ctrl-C it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[2]


@contextlib.contextmanager
def running(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """*command* running with this checkout importable, its output piped; killed and reaped at the end."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tool = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        yield tool
    finally:
        tool.kill()
        tool.wait()
        for stream in (tool.stdout, tool.stderr):
            if stream is not None:
                stream.close()


def wait_for(process: subprocess.Popen[str], text: str, timeout: float = 180) -> list[str]:
    """Lines the tool printed up to and including the first that contains *text*.

    *timeout* only bounds a hang: in an emulated guest kernel a tool takes ~30 s to start.
    """
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if text in line:
            return lines
    raise AssertionError(f"the tool never printed {text!r}; it printed {lines}")


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C: SIGINT, then the rest of its output and its error output, once it has exited."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=180)
