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
        "update_many(dict)", "update_many(keys, values)", "update_many(array.array, array.array)",
        "update_many(d.items())", "update_many(list of pairs)", "update_many(zip(keys, values))",
        "update_many((k, k) for k in ...)", "update_many(Mapping)", "update_many, per-element path",
        "for k, v in ...: m[k] = v", "m.copy()", "dict(m.items())", "list(m)", "sum(m.values())",
        "list(m.values())", "dict(m)", "m.columns()", "m.lookup_many(keys)",
    }  # fmt: skip
    assert {line.split(" | ")[1] for line in rows} == {"hash", "lru_hash", "array"}
    assert all(line.split(" | ")[5].strip() for line in rows), "every row has a ratio to its floor"
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("met ", "MISS"))]
    assert len(verdicts) == 54
    assert "streaming 1,000,000 pairs" in verdicts[-10]
    assert "pop_many(20,000,000)" in verdicts[-9]
    assert "pybpfmaps load of 10,000 entries: peak memory" in verdicts[-1]
    assert "| bpftool -j map dump |" in result.stdout
