"""examples/drops.bpf.c, a clang-built XDP program, reporting real drops on a veth pair through a ring
buffer: read by the library (records decoded by the program's own BTF type), by examples/drops.py,
and by ``pybpfmaps events``; the program's own drop counter and bpftool are the independent tally."""

from __future__ import annotations

import ipaddress
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import BpfProgram, HashMap, PerfEventArrayMap, RingBufMap, u32
from tests.support import bpftool, clang, emitters, traffic
from tests.support.tools import interrupt, running, wait_for
from tests.support.traffic import send_and_count

pytestmark = pytest.mark.needs_kernel("5.8", "ring buffers, XDP on veth")

ROOT = Path(__file__).parents[2]
BLOCKED = 9999  # the port send_and_count sends to


@pytest.fixture(scope="module")
def drops_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(ROOT / "examples" / "drops.bpf.c", tmp_path_factory.mktemp("drops"))


@pytest.fixture
def pins(drops_object: Path, bpffs: Path) -> Path:
    return clang.load(drops_object, bpffs / "drops")


def attach(program: BpfProgram, ns: str, interface: str) -> Any:
    return program.attach_xdp(interface, netns=ns, mode="generic")


def run_cli(*args: str, **options: Any) -> Any:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pybpfmaps", *args], capture_output=True, text=True, env=env,
                          check=False, **options)  # fmt: skip


def test_every_drop_is_reported_once_in_order(pins: Path, veth: tuple[str, str]) -> None:
    ns, inside = veth
    blocked: HashMap[int, int] = HashMap.from_pin(pins / "maps" / "blocked_ports")
    drops = RingBufMap.from_pin(pins / "maps" / "drops")
    program = BpfProgram.from_pin(pins / "prog" / "drop_blocked")
    with blocked, drops, program, attach(program, ns, inside):
        drops.open_reader("struct drop_event")
        assert send_and_count(ns, 5) == 5  # nothing blocked yet: nothing dropped, nothing reported
        assert drops.consume() == []
        blocked[BLOCKED] = 0
        assert send_and_count(ns, 20) == 0
        events = drops.consume()
        counted = blocked[BLOCKED]
    assert counted == 20
    counters = bpftool.dump_pinned(str(pins / "maps" / "blocked_ports"))
    assert counters[struct.pack("=H", BLOCKED)] == struct.pack("=Q", 20)
    assert len(events) == 20
    assert {(ipaddress.IPv4Address(e.saddr), ipaddress.IPv4Address(e.daddr), e.dport) for e in events} == {
        (ipaddress.IPv4Address(traffic.HERE), ipaddress.IPv4Address(traffic.THERE), BLOCKED)
    }
    assert len({e.sport for e in events}) == 1  # one sending socket
    stamps = [e.timestamp_ns for e in events]
    assert stamps == sorted(stamps)  # one sender, one queue: the order they were dropped in
    assert {e.length for e in events} == {14 + 20 + 8 + len(b"hello")}


def test_the_example_tool_prints_each_drop(pins: Path, veth: tuple[str, str]) -> None:
    ns, inside = veth
    command = [sys.executable, str(ROOT / "examples" / "drops.py"), str(pins), inside, "--netns", ns,
               "--block", str(BLOCKED), "--mode", "generic"]  # fmt: skip
    with running(command) as tool:
        wait_for(tool, "ready")
        assert send_and_count(ns, 3) == 0
        lines = wait_for(tool, f"-> {traffic.THERE}:9999")
        lines += [tool.stdout.readline().rstrip("\n") for _ in range(2)]  # type: ignore[union-attr]
        out, err = interrupt(tool)
    assert tool.returncode == 0, err
    assert len(lines) == 3
    assert all(line.startswith(f"{traffic.HERE}:") for line in lines)
    assert all(line.endswith(f"-> {traffic.THERE}:9999  47 bytes") for line in lines)
    assert out.strip() == f"dropped: port {BLOCKED}: 3"


def test_events_command_decodes_records_by_the_programs_type(pins: Path, veth: tuple[str, str]) -> None:
    ns, inside = veth
    with HashMap.from_pin(pins / "maps" / "blocked_ports") as blocked:
        blocked[BLOCKED] = 0
    with BpfProgram.from_pin(pins / "prog" / "drop_blocked") as program, attach(program, ns, inside):
        assert send_and_count(ns, 3) == 0  # the ring buffer keeps the records until someone reads them
    ring = str(pins / "maps" / "drops")
    shown = run_cli("events", ring, "--type", "struct drop_event", "--json", "--count", "3", timeout=180)
    assert shown.returncode == 0, shown.stderr
    records = [json.loads(line) for line in shown.stdout.splitlines()]
    addresses = int(ipaddress.IPv4Address(traffic.HERE)), int(ipaddress.IPv4Address(traffic.THERE))
    assert [(r["saddr"], r["daddr"], r["dport"], r["length"]) for r in records] == [(*addresses, BLOCKED, 47)] * 3
    assert shown.stderr == "3 records received\n"
    text = run_cli("events", ring, "--timeout", "0.1", timeout=180)
    assert (text.stdout, text.stderr) == ("", "0 records received\n")  # all three were taken


def test_events_command_prints_raw_records_and_stops_at_ctrl_c() -> None:
    events = PerfEventArrayMap.create()
    program = BpfProgram.load(emitters.perf_event_output(events, 16))
    with events, program, running([sys.executable, "-m", "pybpfmaps", "events", str(events.id)]) as cli:
        sent = 0
        while sent < 2:  # the command opens the perf buffers when it starts: until then samples go nowhere
            sent += program.test_run(struct.pack("<QQ", sent + 1, 7) + bytes(20)).retval == emitters.XDP_PASS
            if not sent:
                time.sleep(0.01)
        lines = wait_for(cli, "hex:")
        lines += wait_for(cli, "hex:")
        _, err = interrupt(cli)
    assert cli.returncode == 0, err
    assert lines[-2:] == [f"hex:{struct.pack('<QQ', seq, 7).hex()}00000000" for seq in (1, 2)]  # with the padding
    assert err == "2 records received, 0 lost\n"


def test_events_command_refuses_maps_that_are_not_streams_in_one_line() -> None:
    with HashMap.create(key=u32, value=u32, max_entries=4) as table:
        refused = run_cli("events", str(table.id), timeout=180)
    assert refused.returncode == 1
    assert (
        refused.stderr
        == "pybpfmaps: error: events: hash maps are not event streams (ring buffers and perf event arrays are)\n"
    )
