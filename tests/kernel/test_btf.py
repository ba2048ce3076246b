"""BTF: maps describe their keys and values to the kernel, and typed codecs come back from it.

Independent producers and readers: bpftool's "formatted" dump reads the BTF pybpfmaps writes,
and clang writes the BTF of a compiled BPF object that pybpfmaps reads.
"""

from __future__ import annotations

import ipaddress
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    ArrayMap,
    BpfArgumentError,
    BpfMap,
    HashMap,
    KeyExistsError,
    LpmTrieMap,
    LruHashMap,
    NotSupportedError,
    PerCpuHashMap,
    UpdateFlags,
    XdpAction,
    array,
    be16,
    boolean,
    field,
    i64,
    ipv6,
    spin_lock,
    string,
    u16,
    u32,
    u64,
)
from pybpfmaps._sys import uapi
from tests.kernel.conftest import MakeMap
from tests.support import bpftool, clang
from tests.support.layouts import Flow, Proto
from tests.support.traffic import udp_frame

pytestmark = pytest.mark.needs_kernel("5.1", "maps created with BTF, spin locks in values")


@attrs.frozen
class Stats:
    packets: int = u64()
    ifname: str = field(string(8))
    up: bool = boolean()
    ports: tuple[int, ...] = field(array(u16, 2))
    peer: ipaddress.IPv6Address = ipv6()
    origin: Flow = field(Flow)


@attrs.frozen
class Account:
    balance: int = i64()
    lock: int = spin_lock()


FLOW = Flow("10.0.0.1", "10.0.0.2", 0x1234, 443, Proto.UDP)  # type: ignore[arg-type]
STATS = Stats(3, "eth0", True, (80, 8080), ipaddress.IPv6Address("2001:db8::1"), FLOW)


def formatted(map_id: int) -> list[dict[str, Any]]:
    return [entry["formatted"] for entry in bpftool.run("map", "dump", "id", str(map_id))]


def as_bpftool_shows(big_endian: int, size: int) -> int:
    """bpftool prints a __be16/__be32 field as the integer its bytes make in host (little) order."""
    return int.from_bytes(big_endian.to_bytes(size, "big"), "little")


def flow_as_bpftool_shows(saddr: int, daddr: int, sport: int, dport: int, proto: object) -> dict[str, Any]:
    return {
        "saddr": as_bpftool_shows(saddr, 4),
        "daddr": as_bpftool_shows(daddr, 4),
        "sport": as_bpftool_shows(sport, 2),
        "dport": as_bpftool_shows(dport, 2),
        "proto": proto,
    }


def test_bpftool_reads_the_fields_of_our_maps(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=8, name="described")
    m[FLOW] = STATS
    flow_json = flow_as_bpftool_shows(0x0A000001, 0x0A000002, 0x1234, 443, "UDP")
    flow_json |= {"saddr": {"s_addr": flow_json["saddr"]}, "daddr": {"s_addr": flow_json["daddr"]}}  # in_addr
    [entry] = formatted(m.id)
    assert entry["key"] == flow_json
    value = entry["value"]
    expected = {"packets": 3, "ifname": "eth0", "up": True, "ports": [80, 8080]}
    assert {k: value[k] for k in expected} == expected
    assert bytes(value["peer"]["s6_addr"]) == ipaddress.IPv6Address("2001:db8::1").packed
    assert value["origin"] == flow_json
    shown = bpftool.show(m.id)
    assert shown["btf_id"] == m.info.btf_id > 0


def test_maps_opened_without_codecs_are_typed(make_map: MakeMap, bpffs: Path) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=8)
    m[FLOW] = STATS
    m.pin(bpffs / "typed")
    with BpfMap.from_pin(bpffs / "typed") as opened:
        assert repr(opened).startswith(f"<HashMap (unnamed) id={m.id} key=Flow value=Stats ")
        [(key, value)] = opened.items()
        assert attrs.asdict(key) == attrs.asdict(FLOW)
        assert key.proto is not Proto.UDP  # an IntEnum made from the BTF, equal to the original
        assert key.proto == Proto.UDP
        assert key.proto.name == "UDP"
        assert attrs.asdict(value) == attrs.asdict(STATS)
        opened[attrs.evolve(key, sport=1)] = attrs.evolve(value, packets=4)  # writes through the same types
    assert m[attrs.evolve(FLOW, sport=1)].packets == 4


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (ArrayMap, {"value": Stats}),
        (PerCpuHashMap, {"key": u32, "value": Stats}),
        (LruHashMap, {"key": Flow, "value": u64}),
        (LpmTrieMap, {"value": be16}),
    ],
)
def test_every_map_type_carries_btf(make_map: MakeMap, cls: type[BpfMap[Any, Any]], kwargs: dict[str, Any]) -> None:
    m = make_map(cls, max_entries=4, **kwargs)
    assert m.info.btf_id > 0
    with BpfMap.from_id(m.id) as opened:
        assert repr(opened.value_codec) == repr(m.value_codec)
        assert repr(opened.key_codec) == repr(m.key_codec)


def test_btf_can_be_turned_off(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=4, btf=False)
    assert m.info.btf_id == 0
    with BpfMap.from_id(m.id) as opened:
        assert (repr(opened.key_codec), repr(opened.value_codec)) == ("raw(16)", f"raw({m.value_codec.size})")
    typed = make_map(HashMap, key=u32, value=u64, max_entries=4)
    with BpfMap.from_id(typed.id, btf=False) as untyped:
        assert repr(untyped.key_codec) == "raw(4)"


def test_spin_lock_values(make_map: MakeMap, batch_native: bool, bpf_commands: list[int]) -> None:
    m = make_map(HashMap, key=u32, value=Account, max_entries=8, btf=False)  # a lock needs BTF all the same
    assert m.info.btf_id > 0
    m.put(1, Account(5), UpdateFlags.LOCK)
    assert m.update_many({2: Account(7), 3: Account(-9)}, flags=UpdateFlags.LOCK) == 2
    assert m.batch_support.update is batch_native
    assert m.lookup(2, lock=True) == Account(7)
    assert m.copy(lock=True) == {1: Account(5), 2: Account(7), 3: Account(-9)}
    with pytest.raises(KeyExistsError):
        m.put(1, Account(6), UpdateFlags.LOCK | UpdateFlags.NOEXIST)
    entries = {entry["key"]: entry["value"] for entry in formatted(m.id)}
    assert entries == {key: {"balance": balance, "lock": {"val": 0}} for key, balance in ((1, 5), (2, 7), (3, -9))}
    m[4] = Account(11)
    bpf_commands.clear()
    assert m.pop(4, lock=True) == Account(11)  # BPF_MAP_LOOKUP_AND_DELETE_ELEM with BPF_F_LOCK (5.14)
    assert bpf_commands == [uapi.BPF_MAP_LOOKUP_AND_DELETE_ELEM]  # one atomic command, no lookup + delete
    assert m.pop(4, None, lock=True) is None
    assert {entry["key"] for entry in formatted(m.id)} == {1, 2, 3}
    plain = make_map(HashMap, key=u32, value=u64, max_entries=4)
    with pytest.raises(BpfArgumentError, match="no spin_lock field"):
        plain.pop(1, lock=True)
    with pytest.raises(BpfArgumentError, match="no spin_lock field"):
        plain.put(1, 1, UpdateFlags.LOCK)
    with pytest.raises(BpfArgumentError, match="no spin_lock field"):
        plain.copy(lock=True)
    with pytest.raises(NotSupportedError, match="cannot hold values with a spin_lock"):
        LruHashMap.create(key=u32, value=Account, max_entries=4)


def test_spin_lock_values_in_arrays(make_map: MakeMap, batch_native: bool) -> None:
    m = make_map(ArrayMap, value=Account, max_entries=3)
    assert m.update_many([(0, Account(1)), (2, Account(3))], flags=UpdateFlags.LOCK) == 2
    m.put(1, Account(2), UpdateFlags.LOCK | UpdateFlags.EXIST)
    assert m.copy(lock=True) == {0: Account(1), 1: Account(2), 2: Account(3)}
    assert [entry["value"]["balance"] for entry in formatted(m.id)] == [1, 2, 3]
    assert m.batch_support.update is batch_native


@pytest.fixture
def flows_object(bpffs: Path, tmp_path: Path) -> Path:
    """examples/flows.bpf.c built by clang and loaded by bpftool: its maps are pinned under the returned path."""
    return clang.load(clang.build(clang.EXAMPLES / "flows.bpf.c", tmp_path), bpffs)


def run_flows(loaded: Path, frame: bytes, tmp_path: Path) -> int:
    """The program's verdict on *frame*, run by bpftool (BPF_PROG_TEST_RUN)."""
    return clang.run(loaded / "prog" / "count_flows", frame, tmp_path)


def test_maps_of_a_clang_compiled_program(flows_object: Path, tmp_path: Path) -> None:
    frame = udp_frame("10.0.0.1", "10.0.0.2", sport=1234, dport=53)
    assert run_flows(flows_object, frame, tmp_path) == XdpAction.PASS
    with BpfMap.from_pin(flows_object / "maps" / "flows") as flows:
        key_type = flows.key_codec.cls  # type: ignore[attr-defined]
        assert [f.name for f in attrs.fields(key_type)] == ["saddr", "daddr", "sport", "dport", "proto"]
        assert repr(flows.value_codec.fields[3].codec) == "int_enum(verdict, u32)"  # type: ignore[attr-defined]
        verdict = flows.value_codec.fields[3].codec.enum  # type: ignore[attr-defined]
        [(key, stats)] = flows.items()  # what the C program wrote, decoded from its BTF
        assert key == key_type(0x0A000001, 0x0A000002, 1234, 53, 17)
        assert (stats.packets, stats.bytes, stats.verdict) == (1, len(frame), verdict.VERDICT_PASS)
        assert stats.verdict is verdict.VERDICT_PASS
        assert (stats.ifname, stats.lengths, stats.reply) == ("", (0, 0, 0), key_type(0, 0, 0, 0, 0))

        reply = key_type(0x0A000002, 0x0A000001, 53, 1234, 17)
        flows[key] = attrs.evolve(
            stats, verdict=verdict.VERDICT_DROP, ifname="eth1", lengths=(60, 1500, 9000), reply=reply
        )
        assert run_flows(flows_object, frame, tmp_path) == XdpAction.DROP  # the C program read what Python wrote
        [entry] = formatted(flows.id)
        assert entry["key"] == flow_as_bpftool_shows(0x0A000001, 0x0A000002, 1234, 53, 17)
        expected = {
            "packets": 2,
            "bytes": 2 * len(frame),
            "ifname": "eth1",
            "verdict": "VERDICT_DROP",
            "lengths": [60, 1500, 9000],
        }
        assert {k: entry["value"][k] for k in expected} == expected
        assert entry["value"]["reply"] == flow_as_bpftool_shows(0x0A000002, 0x0A000001, 53, 1234, 17)
    with BpfMap.from_pin(flows_object / "maps" / "rules") as rules:
        rule_type: Any = rules.value_codec.cls  # type: ignore[attr-defined]
        rule = rule_type(action=3, priority=1000, tag={"class_id": 7})  # bitfields and a union
        rules[0] = rule
        assert rules[0] == rule
        assert bpftool.dump(rules.id)[bytes(4)] == struct.pack("=IHH", 3 | 1000 << 4, 7, 0)
        assert formatted(rules.id)[0]["value"] == {
            "action": "0x3",
            "priority": "0x3e8",
            "tag": {"mark": 7, "class_id": 7},
        }


def test_a_kernel_without_btf_still_makes_maps(tmp_path: Path) -> None:
    """BPF_BTF_LOAD fails as on kernels before 4.18 (a seccomp filter): maps come without BTF, lock maps not at all."""
    root = Path(__file__).parents[2]
    script = tmp_path / "no_btf.py"
    script.write_text(
        "import errno, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from tests.support import seccomp\n"
        "seccomp.install(errno.EINVAL, (18,))  # BPF_BTF_LOAD\n"
        "from pybpfmaps import HashMap, VerifierError, u32\n"
        "from tests.kernel.test_btf import FLOW, STATS, Account, Flow, Stats\n"
        "m = HashMap.create(key=Flow, value=Stats, max_entries=4)\n"
        "m[FLOW] = STATS\n"
        "print(m.info.btf_id, m[FLOW] == STATS)\n"
        "try:\n"
        "    HashMap.create(key=u32, value=Account, max_entries=4)\n"
        "except VerifierError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    first, *error = result.stdout.splitlines()
    assert first == "0 True"
    assert error[0].startswith("[Errno 22] BPF_BTF_LOAD")
    assert "the kernel refused the map's BTF" in error[0]
    assert error[1] == "(no log: kernels before 4.18 have no BTF, before 5.1 no bpf_spin_lock)"
