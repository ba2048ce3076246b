"""``pybpfmaps watch``: the live view, run in a real terminal (tmux: keys sent, the screen read back)
and through a pipe; what it shows is compared with what the test wrote into the map."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pybpfmaps import ArrayMap, HashMap, PerCpuHashMap, hist, ipv4, string, u64
from tests.kernel.conftest import MakeMap
from tests.support.terminal import Terminal, last_line

pytestmark = pytest.mark.needs_kernel("4.15", "maps with names")


def rows(screen: list[str]) -> list[list[str]]:
    """The table's rows: the lines after the header line."""
    for index, line in enumerate(screen):
        if line.split()[:1] == ["key"]:
            return [row.split() for row in screen[index + 1 :] if row.strip()]
    return []


@pytest.mark.parametrize("style", ["rich", "plain"])
def test_the_view_redraws_in_a_terminal_and_quits_cleanly(
    terminal: Terminal, make_map: MakeMap, bpffs: Path, style: str
) -> None:
    flows = make_map(HashMap, key=ipv4, value=u64, max_entries=16, name="watched")
    flows.update_many({f"10.0.0.{i}": i * 10 for i in range(1, 6)})
    flows.pin(bpffs / "watched")
    terminal.wait(lambda shown: any(line.startswith("ready$") for line in shown), "the shell's prompt")
    plain = " --plain" if style == "plain" else ""
    terminal.type(f"python -m pybpfmaps watch {bpffs / 'watched'} --interval 0.2 --sort rate{plain}", "Enter")
    first = terminal.wait(lambda shown: len(rows(shown)) == 5, "five keys")
    assert f"hash map 'watched' (id {flows.id}): 5 keys, every 0.2 s, by rate" in "\n".join(first)
    assert sorted(row[:2] for row in rows(first)) == [[f"10.0.0.{i}", str(i * 10)] for i in range(1, 6)]
    flows["10.0.0.9"] = 0
    for step in range(1, 1000):  # a key that keeps growing goes to the top, with a rate
        flows["10.0.0.9"] = step * 1000
        table = rows(terminal.screen())
        if table and table[0][0] == "10.0.0.9" and table[0][2] not in ("0", "-"):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the growing key never rose to the top:\n" + "\n".join(terminal.screen()))
    assert float(table[0][2].replace(",", "")) > 0
    assert int(table[0][1].replace(",", "")) <= flows["10.0.0.9"]
    terminal.type("q")
    terminal.wait(lambda shown: last_line(shown) == "ready$", "the prompt back")
    assert terminal.run("display-message", "-p", "-t", "w", "#{cursor_flag}").strip() == "1"  # the cursor is back
    terminal.type("stty -a | tr ' ' '\\n' | grep -x -e -icanon -e icanon -e -echo -e echo", "Enter")
    screen = terminal.wait(
        lambda shown: bool({"icanon", "-icanon"} & {line.strip() for line in shown}), "the terminal's modes"
    )
    modes = {line.strip() for line in screen}
    assert {"icanon", "echo"} <= modes  # lines again, not key by key, and echoed
    assert not {"-icanon", "-echo"} & modes


def test_through_a_pipe_each_frame_follows_the_last(make_map: MakeMap) -> None:
    counters = make_map(PerCpuHashMap, key=u64, value=u64, max_entries=8, name="piped")
    counters.update_many({key: key for key in range(1, 4)})
    done = subprocess.run(
        [sys.executable, "-m", "pybpfmaps", "watch", str(counters.id), "--interval", "0.05", "--count", "2",
         "--split"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    frames = re.split(r"\n\n(?=percpu_hash map)", done.stdout.strip())
    assert len(frames) == 2
    cpus = counters.cpus
    for frame in frames:
        title, table = frame.split("\n\n")
        assert title.startswith(f"percpu_hash map 'piped' (id {counters.id}): 3 keys, every 0.05 s, by value")
        header, *lines = table.splitlines()
        assert header.split() == ["key", *(f"cpu{cpu}" for cpu in range(cpus)), *(f"cpu{cpu}/s" for cpu in range(cpus))]
        assert [line.split()[: 1 + cpus] for line in lines] == [[str(k), *[str(k)] * cpus] for k in (3, 2, 1)]


def test_histograms_are_redrawn_and_values_that_are_not_numbers_are_refused(make_map: MakeMap) -> None:
    sizes = make_map(ArrayMap, value=u64, max_entries=8, name="sizes")
    sizes.update_many({1: 5, 2: 9, 4: 1})
    done = subprocess.run(
        [sys.executable, "-m", "pybpfmaps", "watch", str(sizes.id), "--hist", "--unit", "bytes", "--count", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    title, drawn = done.stdout.strip().split("\n\n", 1)
    assert title.startswith(f"array map 'sizes' (id {sizes.id}): 8 keys, every 1 s")
    assert drawn == hist.read(sizes, unit="bytes").render()
    names = make_map(HashMap, key=u64, value=string(8), max_entries=2, name="names")
    names[1] = "one"
    refused = subprocess.run(
        [sys.executable, "-m", "pybpfmaps", "watch", str(names.id), "--count", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "are not numbers; --field picks a number in struct values, --hist draws histograms" in refused.stderr
