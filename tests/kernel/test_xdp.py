"""What pybpfmaps writes is what a BPF program in the kernel sees, and what it reads is what the program wrote.

The XDP program of examples/xdpfilter.py (assembled in Python) counts packets per IPv4 source
into a PerCpuHashMap and drops sources its LpmTrieMap blocklist contains. It runs on crafted
packets with BPF_PROG_TEST_RUN, and attached to a veth pair in a network namespace with real
UDP traffic crossing it.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from examples.xdpfilter import filter_program, sync_blocklist
from pybpfmaps import (
    BatchDeleteError,
    BpfProgram,
    LpmTrieMap,
    PerCpuHashMap,
    ProgType,
    VerifierError,
    XdpAction,
    asm,
    ipv4,
    lpm_ipv4,
    u8,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool, traffic
from tests.support.traffic import send_and_count, udp_frame

pytestmark = pytest.mark.needs_kernel("4.19", "XDP programs on veth, under BPF_PROG_TEST_RUN")

IP = ipaddress.IPv4Address


@pytest.fixture
def xdp(make_map: MakeMap) -> Iterator[tuple[BpfProgram, Any, Any]]:
    """The filter program with its counters and blocklist maps."""
    counters = make_map(PerCpuHashMap, key=ipv4, value=u64, max_entries=1024, name="counters")
    blocklist = make_map(LpmTrieMap, key=lpm_ipv4, value=u8, max_entries=64, name="blocklist")
    with BpfProgram.load(filter_program(counters, blocklist), ProgType.XDP, name="xdpfilter") as program:
        yield program, counters, blocklist


def test_program_sees_what_update_many_wrote(xdp: tuple[BpfProgram, Any, Any]) -> None:
    program, _, blocklist = xdp
    assert program.test_run(udp_frame("192.0.2.1")).retval == XdpAction.PASS
    assert blocklist.update_many({"192.0.2.0/24": 1, "10.0.0.0/8": 1, "172.16.5.4": 1}) == 3
    verdicts = {
        source: program.test_run(udp_frame(source)).retval
        for source in ("192.0.2.1", "192.0.3.1", "10.200.0.9", "172.16.5.4", "172.16.5.5")
    }
    assert verdicts == {
        "192.0.2.1": XdpAction.DROP, "192.0.3.1": XdpAction.PASS, "10.200.0.9": XdpAction.DROP,
        "172.16.5.4": XdpAction.DROP, "172.16.5.5": XdpAction.PASS,
    }  # fmt: skip
    assert blocklist.delete_many(["10.0.0.0/8", "172.16.5.4"]) == 2
    assert program.test_run(udp_frame("10.200.0.9")).retval == XdpAction.PASS
    assert program.test_run(udp_frame("192.0.2.77")).retval == XdpAction.DROP
    with pytest.raises(BatchDeleteError):
        blocklist.delete_many(["10.0.0.0/8"])


def test_counters_hold_what_the_program_counted(xdp: tuple[BpfProgram, Any, Any]) -> None:
    program, counters, _ = xdp
    program.test_run(udp_frame("198.51.100.1"), repeat=25)
    program.test_run(udp_frame("198.51.100.2"), repeat=3)
    program.test_run(bytes(14))  # too short: not counted, passed
    arp = bytes(12) + b"\x08\x06" + bytes(28)
    assert program.test_run(arp).retval == XdpAction.PASS  # not IPv4: not counted
    totals = {source: values.sum() for source, values in counters.items()}
    assert totals == {IP("198.51.100.1"): 25, IP("198.51.100.2"): 3}
    assert len(counters[IP("198.51.100.1")]) == counters.cpus
    # an independent reader: bpftool sees the same per-CPU counters
    dumped = bpftool.dump_percpu(counters.id)
    assert sum(int.from_bytes(v, sys.byteorder) for v in dumped[IP("198.51.100.1").packed]) == 25
    counters.update_many({IP("198.51.100.1"): 1000})  # user space writes, the program adds to it
    program.test_run(udp_frame("198.51.100.1"))
    assert counters[IP("198.51.100.1")].sum() == 1000 * counters.cpus + 1


def test_refused_programs_say_why() -> None:
    with pytest.raises(VerifierError) as caught:
        BpfProgram.load([asm.exit()], name="no_r0")  # R0 is never set
    assert "R0 !read_ok" in caught.value.log
    assert "BPF_PROG_LOAD" in str(caught.value)


# -- real traffic across a veth pair ----------------------------------------------------------


def test_real_packets_across_a_veth_pair(xdp: tuple[BpfProgram, Any, Any], veth: tuple[str, str]) -> None:
    program, counters, blocklist = xdp
    ns, there = veth
    source = IP(traffic.HERE)
    try:
        attachment = program.attach_xdp(there, netns=ns, mode="native")
    except Exception:
        attachment = program.attach_xdp(there, netns=ns, mode="generic")
    with attachment:
        assert send_and_count(ns, 20) == 20
        assert counters[source].sum() == 20
        assert sync_blocklist(blocklist, {traffic.SUBNET}) == (1, 0)
        assert send_and_count(ns, 20) == 0  # dropped by the program, after being counted
        assert counters[source].sum() == 40
        assert sync_blocklist(blocklist, set()) == (0, 1)
        assert send_and_count(ns, 20) == 20
        assert counters[source].sum() == 60
    assert not attachment.attached
