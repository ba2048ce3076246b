"""Programs of clang-built objects attached through links, proven by what they do: the firewall
example drops real traffic across a veth pair while its XDP link lives (and while only its pin
does), a tc program drops datagrams on egress through tcx, and a tracepoint program reports this
test's own execs through a ring buffer."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import BpfArgumentError, BpfLink, BpfMap, BpfObject, BpfProgram, LpmTrieMap, RingBufMap, u64
from tests.support import bpftool, clang, traffic
from tests.support.tools import interrupt, running, wait_for
from tests.support.traffic import send_and_count

pytestmark = pytest.mark.needs_kernel("5.9", "BPF links for XDP")


def _xdp_link(obj: BpfObject, interface: str, ns: str) -> BpfLink:
    try:
        return obj.programs["firewall"].attach_xdp_link(interface, netns=ns)
    except Exception:  # a veth without native XDP (kernels before 4.19 in a guest)
        return obj.programs["firewall"].attach_xdp_link(interface, netns=ns, mode="generic")


def test_the_firewall_drops_blocked_sources_while_its_link_or_pin_lives(
    veth: tuple[str, str], bpffs: Path, tmp_path: Path
) -> None:
    ns, there = veth
    obj = BpfObject.load(clang.build(clang.EXAMPLES / "firewall.bpf.c", tmp_path))
    with obj:
        blocklist, verdicts = obj.maps["blocklist"], obj.maps["verdicts"]
        link = _xdp_link(obj, there, ns)
        assert link.link_type == "xdp"
        assert bpftool.run("link", "show", "id", str(link.id))["prog_id"] == obj.programs["firewall"].id
        assert _xdp_program(ns, there) == obj.programs["firewall"].id
        assert send_and_count(ns, 20) == 20
        assert verdicts["PASSED"].sum() == 20
        blocklist[traffic.SUBNET] = 0
        assert send_and_count(ns, 20) == 0
        assert blocklist[traffic.SUBNET] == 20  # the rule's hits, counted by the program
        assert verdicts["DROPPED"].sum() == 20
        link.pin(bpffs / "firewall")
        link.close()
    # the object, its maps and its programs are closed; the pinned link keeps the program on the interface
    assert send_and_count(ns, 5) == 0
    with BpfLink.from_pin(bpffs / "firewall") as pinned:
        assert pinned.link_type == "xdp"
        pinned.detach()
    assert send_and_count(ns, 5) == 5
    assert _xdp_program(ns, there) == 0


def _xdp_program(ns: str, interface: str) -> int:
    """The id of the XDP program on *interface*, as iproute2 reads it (0: none)."""
    shown = subprocess.run(
        ["ip", "-n", ns, "-j", "link", "show", interface], capture_output=True, text=True, check=True
    )
    return int(json.loads(shown.stdout)[0].get("xdp", {}).get("prog", {}).get("id", 0))


def test_the_firewall_in_dry_run_counts_matches_and_drops_nothing(veth: tuple[str, str], tmp_path: Path) -> None:
    ns, there = veth
    obj = BpfObject.open(clang.build(clang.EXAMPLES / "firewall.bpf.c", tmp_path))
    obj.rodata.dry_run = 1
    with obj.load(), _xdp_link(obj, there, ns):
        obj.maps["blocklist"][IPv4Network(f"{traffic.HERE}/32")] = 0
        assert send_and_count(ns, 10) == 10
        assert obj.maps["blocklist"][IPv4Network(f"{traffic.HERE}/32")] == 10
        assert obj.maps["verdicts"]["DROPPED"].sum() == 0
    assert send_and_count(ns, 5) == 5  # the link closed with the with block


@pytest.mark.needs_kernel("6.6", "tcx links")
def test_a_tc_program_drops_a_port_on_egress_through_tcx(veth: tuple[str, str], tmp_path: Path) -> None:
    ns, _ = veth
    here = f"pbmA{os.getpid() % 100000}"
    obj = BpfObject.open(clang.build(clang.SOURCES / "tc_ports.bpf.c", tmp_path))
    obj.rodata.blocked_port = 9999  # the port send_and_count sends to
    with obj.load(), obj.programs["drop_port"].attach_tcx(here, "egress") as link:
        assert link.link_type == "tcx"
        assert send_and_count(ns, 10) == 0
        assert obj.maps["ports"][9999] == 10
        assert obj.bss.dropped == 10
    assert send_and_count(ns, 10) == 10


@pytest.fixture
def tracefs() -> None:
    """The tracing filesystem, mounted if it is not (tracepoints are found by their ids there)."""
    root = Path("/sys/kernel/tracing")
    if not (root / "events").is_dir():
        subprocess.run(["mount", "-t", "tracefs", "nodev", str(root)], check=True)


def test_a_tracepoint_program_reports_this_tests_execs(tracefs: None, tmp_path: Path) -> None:
    name = f"pbm-exec-{os.getpid()}"
    command = tmp_path / name
    command.symlink_to("/bin/true")
    with BpfObject.load(clang.build(clang.SOURCES / "execs.bpf.c", tmp_path)) as obj:
        events: RingBufMap = obj.maps["events"]
        with BpfObject.load(clang.build(clang.EXAMPLES / "firewall.bpf.c", tmp_path)) as firewall:
            assert firewall.attach_all() == {}  # nothing says where an XDP program goes
            with pytest.raises(BpfArgumentError, match=r"does not say where it attaches: use .*attach_xdp_link"):
                firewall.attach("firewall")
        links = obj.attach_all()
        assert list(links) == ["on_exec"]
        assert links["on_exec"].link_type == "perf_event"
        child = subprocess.Popen([str(command)])
        child_pid = child.pid
        assert child.wait() == 0
        reader = events.open_reader("struct exec_event")
        mine = _events_of(reader, name)
        assert len(mine) == 1
        path = os.fsencode(command)[:63].decode()  # FILENAME_LEN (64) with its NUL
        assert (mine[0].pid, mine[0].comm, mine[0].filename, mine[0].filename_len) == (
            child_pid, name, path, len(path) + 1,
        )  # fmt: skip
        links["on_exec"].close()
        subprocess.run([str(command)], check=True)  # the record would be in the ring before run() returns
        assert _events_of(reader, name) == []


def _events_of(reader: Any, name: str) -> list[Any]:
    """The records waiting in the ring buffer for execs of commands called *name*."""
    found = []
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        batch = reader.consume()
        if not batch:
            break
        found += [event for event in batch if event.comm == name[:15]]
    return found


def test_the_firewall_tool_blocks_reports_and_leaves_the_interface(veth: tuple[str, str], tmp_path: Path) -> None:
    ns, there = veth
    built = clang.build(clang.EXAMPLES / "firewall.bpf.c", tmp_path)
    command = [sys.executable, str(clang.EXAMPLES / "firewall.py"), there, "--object", str(built), "--netns", ns,
               "--block", str(traffic.SUBNET), "--interval", "0.2"]  # fmt: skip
    with running(command) as tool:
        wait_for(tool, "ready")
        assert _xdp_program(ns, there) != 0
        assert send_and_count(ns, 10) == 0
        lines = wait_for(tool, f"| {traffic.SUBNET}: 10")
        _, err = interrupt(tool)
    assert tool.returncode == 0, err
    assert "dropped=10" in lines[-1]
    assert _xdp_program(ns, there) == 0  # the link closed with the tool
    assert send_and_count(ns, 5) == 5


def test_a_tc_program_drops_a_port_on_egress_through_netlink(veth: tuple[str, str], tmp_path: Path) -> None:
    ns, _ = veth
    here = f"pbmA{os.getpid() % 100000}"
    obj = BpfObject.open(clang.build(clang.SOURCES / "tc_ports.bpf.c", tmp_path))
    obj.rodata.blocked_port = 9999
    with obj.load(), obj.programs["drop_port"].attach_tc(here, "egress") as attachment:
        shown = subprocess.run(["tc", "-j", "filter", "show", "dev", here, "egress"], capture_output=True, text=True,
                               check=True)  # fmt: skip
        (tc_filter,) = [f for f in json.loads(shown.stdout) if f.get("options", {}).get("prog", {}).get("id")]
        assert (tc_filter["pref"], tc_filter["options"]["prog"]["id"]) == (
            attachment.priority,
            obj.programs["drop_port"].id,
        )
        assert send_and_count(ns, 10) == 0
        assert obj.bss.dropped == 10
    assert not attachment.attached
    assert send_and_count(ns, 10) == 10


def test_the_firewall_loaded_by_bpftool_treats_real_traffic_the_same(
    veth: tuple[str, str], bpffs: Path, tmp_path: Path
) -> None:
    ns, there = veth
    built = clang.build(clang.EXAMPLES / "firewall.bpf.c", tmp_path)
    pins = clang.load(built, bpffs / "bpftool")
    seen = {}
    for loader in ("bpftool", "pybpfmaps"):
        with contextlib.ExitStack() as stack:
            if loader == "bpftool":
                program = stack.enter_context(BpfProgram.from_pin(pins / "prog" / "firewall"))
                blocklist = stack.enter_context(LpmTrieMap.from_pin(pins / "maps" / "blocklist"))
                # the kernel keeps no types for an array keyed by an enum: bpftool's map is raw without u64
                verdicts = stack.enter_context(BpfMap.from_pin(pins / "maps" / "verdicts", value=u64))
            else:
                obj = stack.enter_context(BpfObject.load(built))
                program, blocklist, verdicts = obj.programs["firewall"], obj.maps["blocklist"], obj.maps["verdicts"]
            stack.enter_context(program.attach_xdp_link(there, netns=ns, mode="generic"))
            blocklist[traffic.SUBNET] = 0
            blocked = send_and_count(ns, 7)
            del blocklist[traffic.SUBNET]
            passed = send_and_count(ns, 5)
            seen[loader] = (blocked, passed, verdicts[0].sum(), verdicts[1].sum())
    assert seen["bpftool"] == seen["pybpfmaps"] == (0, 5, 5, 7)
