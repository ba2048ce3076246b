"""``make demo`` runs examples/demo.py; it must keep working and keep showing what it claims."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_kernel("5.2", "the demo's maps, with BTF and frozen")

ROOT = Path(__file__).parents[2]


def test_demo_runs_and_shows_the_main_job() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "200 entries written" in out
    assert "10.0.0.200     300000 bytes" in out
    assert "read-only>" in out
    assert "map full, no room for a new key: 3" in out
    assert "newest kept: True" in out
    assert "{0: 0, 1: 0, 2: 42, 3: 0}" in out
