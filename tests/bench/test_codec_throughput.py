"""``make bench`` keeps working: the codec benchmark runs in quick mode and reports every layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_codec_benchmark_quick_mode() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "codec_throughput.py"), "--quick"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0] == "codec throughput, 10000 elements, best of 3"
    rows = {line[:36].strip(): line[36:].split() for line in lines[2:]}
    assert set(rows) == {"u32", "u64", "Flow (16 B: 2x ipv4, 2x be16, u8)", "Stats (32 B: 4x u64)",
                         "Process (20 B: u32, char[16])", "Flow, typed from its BTF",
                         "Stats, typed from its BTF"}  # fmt: skip
    assert all(len(values) == 2 and all(v.isdigit() for v in values) for values in rows.values())
