"""A terminal for tests of interactive commands: a shell in a tmux window of its own tmux server;
keys are sent to it and its screen is read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

import pytest

SESSIONS = count()
PATIENCE = 60.0  # seconds a screen may take to show what it must (a loaded machine is slow)


class Terminal:
    """A shell in a tmux window of its own tmux server, 100 x 24."""

    def __init__(self) -> None:
        self.tmux = shutil.which("tmux")
        if self.tmux is None:
            pytest.fail("these tests run the live view in tmux: apt-get install tmux (make test does)")
        self.socket = f"pbm-watch-{os.getpid()}-{next(SESSIONS)}"
        env = f"PS1='ready$ ' TERM=xterm-256color PATH={Path(sys.executable).parent}:{os.environ['PATH']}"
        self.run("new-session", "-d", "-s", "w", "-x", "100", "-y", "24", f"env -i {env} bash --norc --noprofile")

    def run(self, *args: str) -> str:
        assert self.tmux is not None
        done = subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return done.stdout

    def type(self, *keys: str) -> None:
        self.run("send-keys", "-t", "w", *keys)

    def screen(self) -> list[str]:
        return self.run("capture-pane", "-p", "-t", "w").splitlines()

    def wait(self, wanted: Callable[[list[str]], bool], what: str) -> list[str]:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            shown = self.screen()
            if wanted(shown):
                return shown
            time.sleep(0.1)
        pytest.fail(f"the terminal never showed {what}; it shows:\n" + "\n".join(self.screen()))

    def close(self) -> None:
        subprocess.run([str(self.tmux), "-L", self.socket, "kill-server"], capture_output=True, check=False)


def last_line(screen: list[str]) -> str:
    return next((line.strip() for line in reversed(screen) if line.strip()), "")
