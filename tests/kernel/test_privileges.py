"""Without root: every entry point says what is missing, and readers who may only read can read.

A child process becomes uid 65534 (``nobody``), with no capabilities or with CAP_BPF alone, and
reports what it meets (tests/unprivileged.py). The pins are on a bpf filesystem it can reach;
one is readable by everyone (0644), one only by root (0600).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import HashMap, u32, u64
from tests.kernel.conftest import MakeMap

pytestmark = pytest.mark.needs_kernel("5.8", "CAP_BPF")

ROOT = Path(__file__).parents[2]


@pytest.fixture
def public_bpffs() -> Iterator[Path]:
    """A bpf filesystem at a path every user can traverse (pytest's own tmp dirs are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="pybpfmaps-public-"))
    path.chmod(0o755)
    subprocess.run(["mount", "-t", "bpf", "-o", "mode=755", "bpf", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
        path.rmdir()


def run_unprivileged(caps: str, *args: str) -> dict[str, dict[str, Any]]:
    command = [sys.executable, "-m", "tests.support.privileges", caps, "tests.support.unprivileged", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    return {report.pop("what"): report for report in reports}


@pytest.fixture
def shared_map(make_map: MakeMap, public_bpffs: Path) -> tuple[HashMap[int, int], Path, Path]:
    if Path("/proc/sys/kernel/unprivileged_bpf_disabled").read_text().strip() == "0":
        pytest.fail("this machine allows unprivileged bpf(); these tests expect it disabled (the default)")
    m = make_map(HashMap, key=u32, value=u64, max_entries=4, name="shared")
    m[1] = 2
    readable, private = public_bpffs / "readable", public_bpffs / "private"
    m.pin(readable)
    m.pin(private)
    os.chmod(readable, 0o644)
    return m, readable, private


def test_nobody_gets_permission_errors_that_say_what_is_missing(shared_map: Any) -> None:
    m, readable, private = shared_map
    seen = run_unprivileged("none", str(readable), str(private), str(m.id))
    for what in ("create", "program", "from_pin", "from_pin private", "from_id", "list_maps"):
        assert seen[what]["type"] == "BpfPermissionError", (what, seen[what])
        assert seen[what]["permission"], what  # also a PermissionError
    assert "needs root or CAP_BPF" in seen["create"]["error"]
    assert "kernel.unprivileged_bpf_disabled is" in seen["create"]["error"]
    assert "CAP_NET_ADMIN for network programs" in seen["program"]["error"]
    assert "you may only read" in seen["from_pin"]["error"]
    assert "open it with readonly=True" in seen["from_pin"]["error"]
    assert f"no permission to read {str(private)!r} (mode -rw-------, uid 0)" in seen["from_pin private"]["error"]
    assert "by id needs CAP_SYS_ADMIN" in seen["from_id"]["error"]
    assert seen["list_maps"]["error"] == (
        "[Errno 1] BPF_MAP_GET_NEXT_ID: listing BPF maps needs CAP_SYS_ADMIN (root); "
        "a pinned map opens by its path without it"
    )


def test_readers_who_may_only_read_can_read(shared_map: Any) -> None:
    m, readable, private = shared_map
    seen = run_unprivileged("none", str(readable), str(private), str(m.id))
    read = seen["from_pin readonly"]["ok"]
    assert read["contents"] == {"01000000": "0200000000000000"}
    assert read["write"].startswith("BpfPermissionError: ")
    assert read["write"].endswith("this map object was opened read-only")
    assert m.copy() == {1: 2}  # nothing written


def test_the_command_line_as_nobody(shared_map: Any) -> None:
    m, readable, private = shared_map
    seen = run_unprivileged("none", str(readable), str(private), str(m.id))
    assert seen["cli dump"]["ok"] == {"code": 0, "out": "key  value\n1    2\n(1 entry)\n", "err": ""}
    assert seen["cli get"]["ok"]["out"] == "2\n"
    for refused in ("cli list", "cli show", "cli set"):
        outcome = seen[refused]["ok"]
        assert outcome["code"] == 1, refused
        assert outcome["err"].startswith("pybpfmaps: error: [Errno "), refused  # one line, no traceback
        assert outcome["err"].count("\n") == 1, refused
    assert "CAP_SYS_ADMIN" in seen["cli list"]["ok"]["err"]
    assert "reading commands (show, dump, get) work" in seen["cli set"]["ok"]["err"]


def test_cap_bpf_alone_creates_maps_but_cannot_reach_others_by_id(shared_map: Any) -> None:
    m, readable, private = shared_map
    seen = run_unprivileged("bpf", str(readable), str(private), str(m.id))
    assert seen["create"]["ok"] == {"1": 1}
    assert seen["from_id"]["type"] == "BpfPermissionError"
    assert "by id needs CAP_SYS_ADMIN" in seen["from_id"]["error"]
    assert "CAP_NET_ADMIN" in seen["program"]["error"]
    assert seen["from_pin readonly"]["ok"]["contents"] == {"01000000": "0200000000000000"}
