"""Devmaps and cpumaps on the real kernel: interfaces by name in, names out; an XDP program's
``bpf_redirect_map()`` sees the entries; bpftool reads the same indexes and queue sizes."""

from __future__ import annotations

import socket
import struct

import pytest

from pybpfmaps import (
    BpfMap,
    BpfProgram,
    CodecError,
    CpuMap,
    DevMap,
    DevMapHash,
    NotSupportedError,
    ProgType,
    Redirect,
    XdpAction,
    XskMap,
    asm,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool, xsk

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
