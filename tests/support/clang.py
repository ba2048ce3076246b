"""BPF programs in C for the tests: built by clang, loaded and pinned by bpftool, run with BPF_PROG_TEST_RUN."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import bpftool

SOURCES = Path(__file__).parents[1] / "bpf"
EXAMPLES = Path(__file__).parents[2] / "examples"


def build(source: Path, out_dir: Path) -> Path:
    """Compile *source* (BPF C) with BTF into *out_dir*; returns the object file."""
    clang = shutil.which("clang")
    if clang is None:
        pytest.fail("these tests compile BPF objects with clang: apt-get install clang (make test does)")
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True, check=True).stdout.strip()
    obj = out_dir / f"{source.stem}.o"
    command = [clang, "-O2", "-g", "-target", "bpf", f"-I/usr/include/{multiarch}", "-c", str(source), "-o", str(obj)]
    subprocess.run(command, check=True)
    return obj


def load(obj: Path, where: Path) -> Path:
    """Load every program of *obj* with bpftool, pinned under ``where/prog``, its maps under ``where/maps``."""
    where.mkdir(exist_ok=True)
    bpftool.run("prog", "loadall", str(obj), str(where / "prog"), "pinmaps", str(where / "maps"))
    return where


def run(program: Path, frame: bytes, scratch: Path) -> int:
    """The return value of the pinned *program* run once on *frame* (BPF_PROG_TEST_RUN, through bpftool)."""
    (scratch / "frame").write_bytes(frame)
    result = bpftool.run("prog", "run", "pinned", str(program), "data_in", str(scratch / "frame"))
    return int(result["retval"])
