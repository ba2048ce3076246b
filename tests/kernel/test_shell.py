"""``pybpfmaps shell`` and the IPython extension: key completion for every kind of key, one-line
errors, history, in IPython's completer and at the Python prompt in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pybpfmaps import HashMap, LpmTrieMap, u8, u64
from tests.kernel.conftest import MakeMap
from tests.support.terminal import Terminal, last_line

pytestmark = pytest.mark.needs_kernel("4.18", "maps with BTF")

ROOT = Path(__file__).parents[2]

KINDS = textwrap.dedent(
    """
    import enum, attrs, json, sys
    import pybpfmaps as p

    @attrs.frozen
    class Flow:
        saddr: object = p.field(p.ipv4)
        dport: int = p.be16()

    class Color(enum.IntEnum):
        RED = 1
        BLUE = 2

    flows = p.HashMap.create(key=Flow, value=p.u64, max_entries=8)
    flows[Flow("10.0.0.1", 80)] = 1
    flows[Flow("10.0.0.2", 443)] = 2
    nets = p.LpmTrieMap.create(value=p.u8, max_entries=8)
    nets["10.0.0.0/8"] = 1
    colors = p.HashMap.create(key=p.int_enum(Color), value=p.u8, max_entries=4)
    colors[Color.BLUE] = 1
    names = p.HashMap.create(key=p.string(8), value=p.u8, max_entries=4)
    names["eth0"] = 1
    numbers = p.HashMap.create(key=p.u32, value=p.u8, max_entries=4096)
    numbers.update_many({n: 1 for n in range(4000)})
    """
)


def test_ipython_completes_every_kind_of_key_as_source_that_reads_back() -> None:
    script = KINDS + textwrap.dedent(
        """
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.completer import provisionalcompleter
        ip = InteractiveShell.instance()
        ip.user_ns.update(flows=flows, nets=nets, colors=colors, names=names, numbers=numbers, Flow=Flow, Color=Color)
        with provisionalcompleter():  # IPython's own completion, from _ipython_key_completions_
            native = {line: [c.text for c in ip.Completer.completions(line, len(line))] for line in ("nets[", "flows[")}
        ip.extension_manager.load_extension("pybpfmaps.ipython")
        found = {}
        with provisionalcompleter():
            for line in sys.argv[1:]:
                found[line] = [c.text for c in ip.Completer.completions(line, len(line))]
        for line, texts in found.items():  # every completion, typed in, reads the map
            if "[" in line and texts:
                assert ip.run_cell(line[: line.index("[") + 1] + texts[0].rstrip("]") + "]").success, (line, texts)
        result = ip.run_cell("flows[Flow('10.9.9.9', 1)]")
        from pybpfmaps.maps import _completion
        print(json.dumps({"found": found, "native": native, "offered": len(numbers._ipython_key_completions_()),
                          "limited": len(list(_completion.keys(numbers._handle, limit=5, budget=60))),
                          "out_of_time": len(list(_completion.keys(numbers._handle, limit=4000, budget=0)))}))
        """
    )
    lines = ["flows[", "flows[Flow(saddr='10.0.0.2'", "nets['10", "colors[", "names[", "numbers[39", "flows.up"]
    done = subprocess.run([sys.executable, "-c", script, *lines], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    *shown, last = done.stdout.strip().splitlines()
    result = json.loads(last)
    found = result["found"]
    assert sorted(found["flows["]) == ["Flow(saddr='10.0.0.1', dport=80)]", "Flow(saddr='10.0.0.2', dport=443)]"]
    assert found["flows[Flow(saddr='10.0.0.2'"] == ["Flow(saddr='10.0.0.2', dport=443)]"]
    assert found["nets['10"] == ["'10.0.0.0/8']"]
    assert found["colors["] == ["Color.BLUE]"]
    assert found["names["] == ["'eth0']"]
    assert set(found["numbers[39"]) <= {f"{n}]" for n in range(4000) if str(n).startswith("39")}
    assert {"update", "update_many"} <= set(found["flows.up"])
    assert result["native"]["nets["] == ["'10.0.0.0/8'"]
    assert sorted(result["native"]["flows["]) == ["'10.0.0.1'", "'10.0.0.2'"]  # a struct field by field
    assert 1 <= result["offered"] <= 1000  # bounded: a thousand keys at most, or what a quarter second reads
    assert (result["limited"], result["out_of_time"]) == (5, 1)
    assert any(
        line.startswith("KeyNotFoundError: [Errno 2] BPF_MAP_LOOKUP_ELEM on hash map") for line in shown
    )  # one line, no traceback
    assert "Traceback" not in done.stdout


def test_the_python_prompt_completes_keeps_history_and_shows_errors_in_a_line(
    terminal: Terminal, make_map: MakeMap, bpffs: Path, tmp_path: Path
) -> None:
    flows = make_map(HashMap, key=u64, value=u64, max_entries=8, name="sh_flows")
    flows.update_many({7001: 1, 7002: 2})
    nets = make_map(LpmTrieMap, value=u8, max_entries=8, name="sh_nets")
    nets["192.0.2.0/24"] = 3
    flows.pin(bpffs / "sh_flows")
    history = tmp_path / "history"
    terminal.wait(lambda shown: last_line(shown) == "ready$", "the shell's prompt")
    terminal.type(
        f"PYBPFMAPS_HISTORY={history} PYTHONPATH={ROOT} python -m pybpfmaps shell --python {bpffs / 'sh_flows'} "
        f"{nets.id}",
        "Enter",
    )
    shown = terminal.wait(lambda shown: last_line(shown) == ">>>", "the Python prompt")
    assert any(line.startswith(f"  sh_flows = <HashMap 'sh_flows' id={flows.id}") for line in shown)
    assert any(line.startswith(f"  sh_nets = <LpmTrieMap 'sh_nets' id={nets.id}") for line in shown)
    terminal.type("sh_nets[", "Tab")
    terminal.wait(lambda shown: last_line(shown) == ">>> sh_nets['192.0.2.0/24']", "the trie's key completed")
    terminal.type("Enter")
    terminal.wait(lambda shown: "3" in [line.strip() for line in shown], "the value read")
    terminal.type("sh_flows[700", "Tab")  # two keys: a menu, then the first
    terminal.wait(lambda shown: "7001]" in " ".join(shown) and "7002]" in " ".join(shown), "both keys offered")
    terminal.type("C-u")
    terminal.type("sh_flows.update_m", "Tab")
    terminal.wait(lambda shown: last_line(shown).startswith(">>> sh_flows.update_many("), "the method completed")
    terminal.type("C-u")
    terminal.type("sh_flows[9]", "Enter")
    error = terminal.wait(lambda shown: any("KeyNotFoundError" in line for line in shown), "the error")
    message = next(line for line in error if "KeyNotFoundError" in line)
    assert message.startswith("KeyNotFoundError: [Errno 2] BPF_MAP_LOOKUP_ELEM on hash map 'sh_flows'")
    assert "Traceback" not in " ".join(error)
    terminal.type("C-d")
    terminal.wait(lambda shown: last_line(shown) == "ready$", "the shell back")
    deadline = time.monotonic() + 30
    while "sh_flows[9]" not in (history.read_text() if history.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "sh_flows[9]" in history.read_text()
    assert os.path.getsize(history) > 0
