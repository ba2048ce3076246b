"""``make bench`` keeps working: the event stream benchmark reads every record of both streams, reports targets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.kernel


def test_quick_stream_benchmark_run() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "streams.py"), "--quick", "--no-write"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]  # it checks that every record arrived
    rows = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| ") and "buffer" in line]
    assert {(row[0], row[1]) for row in rows} == {
        (f"| {stream}", read) for stream in ("ring buffer", "perf buffer")
        for read in (
            "`consume() as bytes`", "`consume_views()`", "`consume() as a 64-byte attrs class`",
            "`consume_block(), block.column('a')`", "`consume_block(), sum(block.column('a'))`",
        )
    }  # fmt: skip
    assert all(float(row[3]) > 0 for row in rows), "every row has its C floor"
    assert sum(line.startswith("Target:") for line in result.stdout.splitlines()) == 2
