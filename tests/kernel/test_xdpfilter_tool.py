"""examples/xdpfilter.py, the tool a network engineer runs: blocklist from a file, live counters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import traffic
from tests.support.tools import interrupt, running, wait_for
from tests.support.traffic import send_and_count

pytestmark = pytest.mark.needs_kernel("4.19", "XDP programs on veth")

ROOT = Path(__file__).parents[2]


def test_blocklist_file_drives_the_filter_and_counters_show_up(veth: tuple[str, str], tmp_path: Path) -> None:
    ns, inside = veth
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# documentation addresses\n192.0.2.0/24\n")
    command = [sys.executable, str(ROOT / "examples" / "xdpfilter.py"), inside, "--netns", ns,
               "--blocklist", str(blocklist), "--mode", "generic", "--interval", "0.5"]  # fmt: skip
    # it runs until Ctrl-C, so that nothing here depends on how many reports fit in the test's time
    with running(command) as tool:
        assert wait_for(tool, "filtering")[-1] == f"1 prefixes blocked; filtering {inside} (generic XDP)"
        assert send_and_count(ns, 10) == 10
        blocklist.write_text(f"192.0.2.0/24\n{traffic.SUBNET}  # the test's own sender\n")
        wait_for(tool, "blocklist: +1 -0")
        assert send_and_count(ns, 10) == 0
        last_report = wait_for(tool, "20  yes")[-2:]  # the first report that counts all 20
        _, err = interrupt(tool)
    assert tool.returncode == 0, err
    assert last_report[0].split() == ["source", "packets", "blocked"]
    assert last_report[1].split() == [traffic.HERE, "20", "yes"]


def test_a_missing_file_or_interface_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("192.0.2.0/24\n")
    tool = [sys.executable, str(ROOT / "examples" / "xdpfilter.py")]
    cases = {
        ("lo", "--blocklist", str(tmp_path / "missing.txt")): (
            f"xdpfilter: error: [Errno 2] No such file or directory: '{tmp_path / 'missing.txt'}'"
        ),
        ("pbm-no-such-if", "--blocklist", str(blocklist)): "xdpfilter: error: no interface called 'pbm-no-such-if'",
    }
    for args, message in cases.items():
        result = subprocess.run([*tool, *args], capture_output=True, text=True, check=False)
        assert (result.returncode, result.stderr, result.stdout) == (1, message + "\n", "")
