"""Devmaps and cpumaps on the real kernel: interfaces by name in, names out; an XDP program's
``bpf_redirect_map()`` sees the entries; bpftool reads the same indexes and queue sizes."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time

import pytest

from pybpfmaps import (
    ArrayMap,
    AttachType,
    BpfMap,
    BpfProgram,
    CodecError,
    CpuMap,
    CpuRedirect,
    DevMap,
    DevMapHash,
    NotSupportedError,
    ProgType,
    Redirect,
    XdpAction,
    XskMap,
    asm,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool, traffic, xsk

pytestmark = pytest.mark.needs_kernel("5.9", "devmaps with programs (5.8), cpumaps with programs")

REDIRECT_MAP = 51  # enum bpf_func_id: bpf_redirect_map


def redirector(targets: DevMap | CpuMap | XskMap, key: int) -> BpfProgram:
    """XDP: ``return bpf_redirect_map(targets, key, XDP_PASS)`` (XDP_PASS when the slot is empty)."""
    program: list[asm.Item] = [
        *asm.ld_map(asm.R1, targets),
        asm.mov(asm.R2, key),
        asm.mov(asm.R3, XdpAction.PASS),
        asm.call(REDIRECT_MAP),
        asm.exit(),
    ]
    return BpfProgram.load(program, ProgType.XDP, name="redirector")


def held(map_id: int) -> dict[int, tuple[int, ...]]:
    raw = bpftool.dump(map_id)
    return {struct.unpack("=I", k)[0]: struct.unpack(f"={len(v) // 4}I", v) for k, v in raw.items()}


def test_a_devmap_holds_interfaces_a_program_redirects_to(make_map: MakeMap) -> None:
    devices = make_map(DevMap, max_entries=4, name="devices")
    loopback = socket.if_nametoindex("lo")
    with redirector(devices, 2) as program:
        assert program.test_run(bytes(64)).retval == XdpAction.PASS  # empty slot: the fallback
        devices[2] = "lo"
        assert program.test_run(bytes(64)).retval == XdpAction.REDIRECT
        assert (devices[2], list(devices), devices.ids()) == ("lo", [2], {2: loopback})
        assert held(devices.id) == {2: (loopback,)}
        del devices[2]
        assert program.test_run(bytes(64)).retval == XdpAction.PASS
    with pytest.raises(CodecError, match="no interface by that name"):
        devices[0] = "no-such-if0"


def test_devmaps_with_programs_and_by_key(make_map: MakeMap) -> None:
    with_program = make_map(DevMap, max_entries=2, with_program=True)
    assert with_program.info.value_size == 8
    with_program[0] = Redirect("lo")
    assert with_program[0] == "lo"  # no program: just the interface
    assert held(with_program.id) == {0: (socket.if_nametoindex("lo"), 0)}
    leaving = [asm.mov(asm.R0, XdpAction.PASS), asm.exit()]
    with BpfProgram.load(leaving, ProgType.XDP, name="on_leave", attach_type=AttachType.XDP_DEVMAP) as program:
        with_program[1] = Redirect("lo", program)
        assert with_program[1] == Redirect("lo", program.id)
        assert held(with_program.id)[1] == (socket.if_nametoindex("lo"), program.id)
        with redirector(with_program, 1) as sender:
            assert sender.test_run(bytes(64)).retval == XdpAction.REDIRECT
    by_key = make_map(DevMapHash, max_entries=8)
    by_key[socket.if_nametoindex("lo")] = "lo"
    assert by_key.copy() == {socket.if_nametoindex("lo"): "lo"}
    with BpfMap.from_id(by_key.id) as reopened:
        assert type(reopened) is DevMapHash


def test_a_cpumap_holds_queue_sizes_per_cpu(make_map: MakeMap) -> None:
    cpus = make_map(CpuMap, max_entries=1, name="cpus")
    with redirector(cpus, 0) as program:
        assert program.test_run(bytes(64)).retval == XdpAction.PASS
        cpus[0] = 192
        assert program.test_run(bytes(64)).retval == XdpAction.REDIRECT
    assert cpus[0] == 192
    assert held(cpus.id) == {0: (192,)}
    del cpus[0]
    assert cpus.get(0) is None
    with pytest.raises(CodecError, match="queue size"):
        cpus[0] = 0
    with_program = make_map(CpuMap, max_entries=1, with_program=True)
    on_cpu = [asm.mov(asm.R0, XdpAction.PASS), asm.exit()]
    with BpfProgram.load(on_cpu, ProgType.XDP, name="on_cpu", attach_type=AttachType.XDP_CPUMAP) as program:
        with_program[0] = CpuRedirect(64, program)
        assert with_program[0] == CpuRedirect(64, program.id)
        assert held(with_program.id) == {0: (64, program.id)}


def test_an_xskmap_takes_af_xdp_sockets_a_program_redirects_to(make_map: MakeMap) -> None:
    sockets = make_map(XskMap, max_entries=4, name="xsks")
    with xsk.xsk_socket() as receiver, redirector(sockets, 1) as program:
        assert program.test_run(bytes(64)).retval == XdpAction.PASS
        sockets[1] = receiver
        assert program.test_run(bytes(64)).retval == XdpAction.REDIRECT
        with pytest.raises(NotSupportedError):
            sockets[1]  # the kernel answers no lookups of xskmaps from user space
        del sockets[1]
        assert program.test_run(bytes(64)).retval == XdpAction.PASS
        with socket.socket() as not_xdp, pytest.raises(NotSupportedError):
            sockets[0] = not_xdp  # the kernel takes only AF_XDP sockets set up for a map (EOPNOTSUPP)


SEND_FROM_NAMESPACE = """
import socket, sys, time
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
    for _ in range(int(sys.argv[1])):
        out.sendto(b"hello", (sys.argv[2], 9999))
        time.sleep(0.002)
"""


def udp_only(then: list[asm.Item]) -> list[asm.Item]:
    """XDP: XDP_PASS unless the frame is IPv4/UDP (r2 = data after the checks), else run *then*."""
    return [
        asm.load(asm.R2, asm.R1, 0, 4),  # data
        asm.load(asm.R3, asm.R1, 4, 4),  # data_end
        asm.mov_reg(asm.R4, asm.R2),
        asm.alu(asm.R4, "+", 34),
        asm.jump_if(asm.R4, ">", asm.R3, "pass", register=True),
        asm.load(asm.R5, asm.R2, 12, 2),
        asm.jump_if(asm.R5, "!=", 0x0008, "pass"),  # ETH_P_IP, in network order
        asm.load(asm.R5, asm.R2, 23, 1),
        asm.jump_if(asm.R5, "!=", 17, "pass"),  # IPPROTO_UDP
        *then,
        asm.label("pass"),
        asm.mov(asm.R0, XdpAction.PASS),
        asm.exit(),
    ]


def test_udp_arriving_here_is_redirected_back_out_through_the_devmap(make_map: MakeMap, veth: tuple[str, str]) -> None:
    """Datagrams the namespace sends to ``traffic.HERE`` are bounced by XDP here, through a devmap entry
    naming our end of the veth pair, back into the namespace, where a second program counts them."""
    ns, there = veth
    here = f"pbmA{os.getpid() % 100000}"  # the veth fixture's end in this namespace
    devices = make_map(DevMap, max_entries=1, name="bounce")
    counted = make_map(ArrayMap, value=u64, max_entries=1, name="bounced")
    bounce = udp_only([
        *asm.ld_map(asm.R1, devices), asm.mov(asm.R2, 0), asm.mov(asm.R3, XdpAction.PASS),
        asm.call(REDIRECT_MAP), asm.exit(),
    ])  # fmt: skip
    count = udp_only([
        asm.store_imm(asm.R10, -4, 0, 4), *asm.ld_map(asm.R1, counted), asm.mov_reg(asm.R2, asm.R10),
        asm.alu(asm.R2, "+", -4), asm.call(asm.MAP_LOOKUP_ELEM), asm.jump_if(asm.R0, "==", 0, "pass"),
        asm.load(asm.R1, asm.R0, 0, 8), asm.alu(asm.R1, "+", 1), asm.store(asm.R0, 0, asm.R1, 8),
    ])  # fmt: skip
    with BpfProgram.load(bounce, ProgType.XDP, name="bounce") as bouncer, \
            BpfProgram.load(count, ProgType.XDP, name="count") as counter, \
            bouncer.attach_xdp(here), counter.attach_xdp(there, netns=ns):  # fmt: skip
        send = ["ip", "netns", "exec", ns, sys.executable, "-c", SEND_FROM_NAMESPACE]
        subprocess.run([*send, "10", traffic.HERE], check=True)
        assert counted[0] == 0  # no devmap entry: passed up our stack, nothing comes back
        devices[0] = here
        subprocess.run([*send, "10", traffic.HERE], check=True)
        deadline = time.monotonic() + 5
        while counted[0] < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert counted[0] == 10
