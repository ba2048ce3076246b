"""The whole kernel suite again, in child processes that see no batch commands.

How: docs/kernel-notes.md#emulating-old-kernels.

A seccomp filter makes bpf() commands 24-27 fail with EINVAL, as on kernels before 5.6, or with
524, as for map types without batch ops. Everything else still reaches the real kernel, so the
per-element paths are checked against the same expectations as the batch paths.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_kernel("5.6", "batch commands, for the filter to hide")

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("mode", ["EINVAL", "ENOTSUPP"])
def test_kernel_suite_passes_without_batch_commands(mode: str) -> None:
    env = {**os.environ, "PYBPFMAPS_EMULATE_NO_BATCH": mode, "PYBPFMAPS_REQUIRE_KERNEL": "1"}
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/kernel",
        "--ignore", "tests/kernel/test_emulated_kernels.py",
        "--ignore", "tests/kernel/test_kernel_btf.py",  # typing the kernel's own types issues no batch command
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.fullmatch(r"=* ?\d+ passed in .*", summary), summary


def test_the_filter_really_blocks_batch_commands() -> None:
    probe = (
        "import errno, sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.support import seccomp; seccomp.install(errno.EINVAL);"
        "from pybpfmaps._sys import commands, uapi;"
        "fd = commands.map_create(1, 4, 4, 4, 0, b'');"
        "commands.map_update_elem(fd, b'\\1\\0\\0\\0', b'\\2\\0\\0\\0', 0);"
        "print(seccomp.seccomp_mode());"
        "commands.map_batch_probe(fd, uapi.BPF_MAP_UPDATE_BATCH)"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(ROOT)], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "2"
    assert "RawBpfError: [Errno 22] Invalid argument" in result.stderr
