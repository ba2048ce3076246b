"""``make bench`` keeps working: the quick run measures every case against the C floor and reports targets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.kernel


def test_quick_benchmark_run() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--no-write"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "10,000" in line]
    operations = {line.split(" | ")[3] for line in rows}
    assert operations == {
        "update_many(dict)", "update_many, per-element path", "for k, v in ...: m[k] = v",
        "update_many(array.array, array.array)", "m.copy()", "dict(m.items())", "dict(m)",
    }  # fmt: skip
    assert {line.split(" | ")[1] for line in rows} == {"hash", "lru_hash", "array"}
    assert all(line.split(" | ")[5].strip() for line in rows), "every row has a ratio to the C floor"
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("met ", "MISS"))]
    assert len(verdicts) == 10
    assert "streaming 1,000,000 pairs" in verdicts[-1]
