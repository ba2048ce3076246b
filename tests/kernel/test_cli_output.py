"""``pybpfmaps create``, what ``show`` says of memory and holders, the JSON forms (lines, one array,
pretty) and the progress of a long dump on a terminal; checked against bpftool and the kernel."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import BpfMap, HashMap, MapFlags, ipv4, u32, u64
from tests.kernel.conftest import MakeMap
from tests.kernel.test_cli import fails, named, run
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("5.8", "ring buffer maps")


def test_create_makes_a_typed_map_that_the_other_commands_and_bpftool_read(bpffs: Path) -> None:
    name = named("cli_made")
    made = run("create", "lru_hash", "--key", "ipv4", "--value", "u64", "--max-entries", "64", "--name", name,
               "--flags", "no_common_lru", "--pin", str(bpffs / "made"))  # fmt: skip
    with BpfMap.from_pin(bpffs / "made") as m:
        assert made.stdout == f"created {m.info.label}, pinned at {bpffs / 'made'}\n"
        shown = bpftool.show(m.id)
        assert (shown["type"], shown["name"], shown["bytes_key"], shown["bytes_value"], shown["max_entries"]) == (
            "lru_hash", name, 4, 8, 64,
        )  # fmt: skip
        assert shown["flags"] == int(MapFlags.NO_COMMON_LRU)
        assert (m.key_codec, m.value_codec) == (ipv4, u64)  # typed: its BTF says so
        run("set", str(bpffs / "made"), "10.1.2.3", "7")
        assert dict(m.items()) == {ipv4.unpack(bytes([10, 1, 2, 3])): 7}
    ring = run("create", "ringbuf", "--max-entries", "8192", check=False)
    assert ring.returncode == 0
    assert ring.stdout.startswith("created ringbuf map (id ")
    assert ring.stderr == "nothing else holds it, so it is gone as this command ends: --pin PATH keeps it\n"
    refused = {
        ("ringbuf", "--key", "u32", "--max-entries", "4096"): "create: ringbuf maps take no --key",
        ("hash", "--key", "u32", "--max-entries", "4"): "create: hash maps need --value",
        ("hash_of_maps", "--key", "u32", "--max-entries", "4"): "create: hash_of_maps maps are made with an inner map",
        ("hash", "--key", "u33", "--value", "u8", "--max-entries", "4"): "create: 'u33' is not a codec name",
        ("hashmap", "--max-entries", "4"): "create: no map type 'hashmap'",
        ("array", "--value", "u8", "--max-entries", "4", "--flags", "bogus"): "create: no map flag 'bogus'",
    }
    for args, message in refused.items():
        assert message in fails("create", *args)


def test_show_names_the_processes_holding_the_map_and_its_memlock(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=128, name=named("cli_held"))
    m.pin(bpffs / "held")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, pybpfmaps; m = pybpfmaps.BpfMap.from_pin(sys.argv[1]); "
         "print(m.fileno(), flush=True); time.sleep(120)", str(bpffs / "held")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        fd = int(holder.stdout.readline()) if holder.stdout else -1
        shown: dict[str, Any] = json.loads(run("show", str(m.id), "--json").stdout)
        by_pid = {each["pid"]: each for each in shown["held_by"]}
        assert set(by_pid) >= {os.getpid(), holder.pid}  # this test holds it too (make_map)
        assert by_pid[holder.pid]["fds"] == [fd]
        assert by_pid[holder.pid]["command"] == "python3"[: len(by_pid[holder.pid]["command"])] or by_pid[holder.pid][
            "command"
        ].startswith("python")
        assert shown["memlock"] == bpftool.show(m.id)["bytes_memlock"]
        text = run("show", str(m.id)).stdout
        assert f"({holder.pid})" in next(line for line in text.splitlines() if line.startswith("held_by"))
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    shown = json.loads(run("show", str(m.id), "--json").stdout)
    assert holder.pid not in {each["pid"] for each in shown["held_by"]}


def test_json_comes_as_lines_one_array_or_pretty(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=16, name=named("cli_json"))
    m.update_many({1: 10, 2: 20, 3: 30})
    expected = [{"key": k, "value": v} for k, v in sorted(m.items())]
    lines = [json.loads(line) for line in run("dump", str(m.id), "--json").stdout.splitlines()]
    array = json.loads(run("dump", str(m.id), "--json-array").stdout)
    pretty_text = run("dump", str(m.id), "-p").stdout
    assert sorted(lines, key=str) == sorted(array, key=str) == sorted(json.loads(pretty_text), key=str)
    assert sorted(array, key=lambda row: row["key"]) == expected
    assert pretty_text.startswith('[\n  {\n    "key": ')
    assert pretty_text.endswith("\n]\n")
    assert json.loads(run("dump", str(make_map(HashMap, key=u32, value=u64, max_entries=1).id), "-p").stdout) == []
    listed = [row for row in json.loads(run("list", "--json-array").stdout) if row["id"] == m.id]
    assert listed == [row for row in json.loads(run("list", "--pretty").stdout) if row["id"] == m.id]
    assert (listed[0]["name"], listed[0]["entries"]) == (m.name, 3)  # other maps come and go meanwhile
    assert run("get", str(m.id), "2", "--pretty").stdout == "20\n"
    assert json.loads(run("show", str(m.id), "-p").stdout)["id"] == m.id
    assert "not allowed with argument" in run("dump", str(m.id), "--json", "-p", check=False).stderr


def test_a_long_dump_to_a_file_counts_on_the_terminal(make_map: MakeMap, tmp_path: Path) -> None:
    m = make_map(HashMap, key=u32, value=u64, max_entries=100_000, name=named("cli_long"))
    m.update_many({n: n for n in range(50_000)})
    primary, secondary = pty.openpty()  # stderr a terminal, stdout a file: where progress shows
    with open(tmp_path / "dump.txt", "w") as out:
        env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
        command = [sys.executable, "-m", "pybpfmaps", "dump", str(m.id)]
        process = subprocess.Popen(command, stdout=out, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(primary)
    assert process.wait(30) == 0
    dumped = (tmp_path / "dump.txt").read_text().splitlines()
    assert dumped[-1] == "(50000 entries)"
    assert len(dumped) == 50_002
    assert b"50,000" in seen.replace(b"\x1b", b" ")  # the last count drawn on the terminal
    assert f"dump of hash map '{m.name}'".encode() in seen
