"""attrs layouts as map keys and values on the real kernel, checked byte for byte with bpftool."""

from __future__ import annotations

import array
import ipaddress
import struct
from typing import Any

import attrs
import pytest

from pybpfmaps import (
    ArrayMap,
    BpfMap,
    CodecError,
    CodecTypeError,
    HashMap,
    LruHashMap,
    boolean,
    codec_for,
    field,
    string,
    u8,
    u32,
    u64,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool
from tests.support.layouts import Flow, Proto

pytestmark = pytest.mark.needs_kernel("4.18", "hash, LRU and array maps with BTF")


@attrs.frozen
class Stats:
    packets: int = u64()
    bytes: int = u64()
    ifname: str = field(string(12))
    active: bool = boolean()


def flow_bytes(saddr: str, daddr: str, sport: int, dport: int, proto: int) -> bytes:
    """The C ``struct { __be32 saddr, daddr; __be16 sport, dport; __u8 proto; }`` by hand (16 bytes)."""
    return (
        ipaddress.IPv4Address(saddr).packed
        + ipaddress.IPv4Address(daddr).packed
        + struct.pack(">HHB", sport, dport, proto)
        + bytes(3)
    )


def stats_bytes(packets: int, nbytes: int, ifname: str, active: bool) -> bytes:
    return struct.pack("=QQ12s?", packets, nbytes, ifname.encode(), active) + bytes(3)


@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_struct_keys_and_values_as_the_kernel_holds_them(make_map: MakeMap, cls: type[HashMap[Any, Any]]) -> None:
    m = make_map(cls, key=Flow, value=Stats, max_entries=64, name="flows")
    assert (m.info.key_size, m.info.value_size) == (16, 32)
    key = Flow("10.0.0.1", "10.0.0.2", 40000, 443, 6)  # type: ignore[arg-type]
    m[key] = Stats(3, 4500, "eth0", True)
    m[("10.0.0.3", "10.0.0.4", 53, 53, 17)] = (1, 80, "veth1", False)
    assert bpftool.dump(m.id) == {
        flow_bytes("10.0.0.1", "10.0.0.2", 40000, 443, 6): stats_bytes(3, 4500, "eth0", True),
        flow_bytes("10.0.0.3", "10.0.0.4", 53, 53, 17): stats_bytes(1, 80, "veth1", False),
    }
    assert m[key] == Stats(3, 4500, "eth0", True)
    assert m[("10.0.0.3", "10.0.0.4", 53, 53, 17)].ifname == "veth1"
    decoded = dict(m)
    assert all(isinstance(k, Flow) and isinstance(v, Stats) for k, v in decoded.items())
    assert decoded[Flow("10.0.0.3", "10.0.0.4", 53, 53, 17)] == Stats(1, 80, "veth1", False)  # type: ignore[arg-type]
    assert repr(m) == f"<{cls.__name__} 'flows' id={m.id} key=Flow value=Stats max_entries=64>"


def test_padding_is_zero_so_equal_keys_hit_the_same_element(make_map: MakeMap) -> None:
    @attrs.frozen
    class Gappy:
        kind: int = u8(pad_after=1)
        ident: int = u32()

    m = make_map(HashMap, key=Gappy, value=u64, max_entries=8)
    m[Gappy(1, 7)] = 1
    m[(1, 7)] = 2
    m[{"kind": 1, "ident": 7}] = 3
    assert bpftool.dump(m.id) == {b"\x01\x00\x00\x00" + struct.pack("=I", 7): struct.pack("=Q", 3)}
    assert codec_for(Gappy).fields[1].offset == 4  # one explicit byte, then two of alignment


def test_opening_a_map_with_a_layout(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=8)
    m[("1.1.1.1", "2.2.2.2", 1, 2, 6)] = (1, 2, "lo", True)
    with BpfMap.from_id(m.id, key=Flow, value=Stats) as other:
        assert list(other.items()) == list(m.items())
    with pytest.raises(CodecError, match=r"key codec Stats is 32 bytes but hash map .* has key_size 16"):
        BpfMap.from_id(m.id, key=Stats, value=Stats)


def test_array_of_structs(make_map: MakeMap) -> None:
    a = make_map(ArrayMap, value=Stats, max_entries=3)
    a[1] = Stats(1, 2, "eth1", True)
    assert a[0] == Stats(0, 0, "", False)
    assert bpftool.dump(a.id)[struct.pack("=I", 1)] == stats_bytes(1, 2, "eth1", True)


def test_mutable_key_classes_are_refused_before_anything_is_created(bpf_commands: list[int]) -> None:
    @attrs.define
    class MutableKey:
        a: int = u32()

    with pytest.raises(CodecTypeError, match=r"key class MutableKey is not hashable.*@attrs.frozen"):
        HashMap.create(key=MutableKey, value=u64, max_entries=4)
    assert bpf_commands == []


def test_bad_struct_values_never_reach_the_kernel(make_map: MakeMap) -> None:
    m = make_map(HashMap, key=Flow, value=Stats, max_entries=8, name="strict")
    with pytest.raises(CodecError, match=r"bad value for hash map 'strict' .*Stats\.ifname: string\(12\)"):
        m[("1.1.1.1", "2.2.2.2", 1, 2, 6)] = (1, 2, "much-too-long-name", True)
    with pytest.raises(CodecError, match=r"bad key for hash map 'strict' .*Flow\.sport: be16 cannot encode 65536"):
        m[("1.1.1.1", "2.2.2.2", 65536, 2, 6)] = (1, 2, "x", True)
    assert bpftool.dump(m.id) == {}


@pytest.mark.parametrize("cls", [HashMap, LruHashMap])
def test_columns_hold_what_bpftool_reads(make_map: MakeMap, cls: type[HashMap[Any, Any]]) -> None:
    m = make_map(cls, key=Flow, value=Stats, max_entries=4096, name="flowcols")
    addresses = [ipaddress.IPv4Address(i) for i in range(0, 21000, 7)]
    flows = [Flow(address, addresses[-1 - i], i, 443, Proto.TCP) for i, address in enumerate(addresses[:3000])]
    m.update_many({flow: Stats(i, 2 * i, f"if{i % 9}", i % 2 == 1) for i, flow in enumerate(flows)})
    columns = m.columns()
    keys, values = columns.keys, columns.values
    assert len(columns) == 3000
    assert (type(keys["saddr"]), type(keys["sport"]), type(values["packets"])) == (array.array,) * 3
    flow = [keys[name] for name in ("saddr", "daddr", "sport", "dport", "proto")]
    stats = [values[name] for name in ("packets", "bytes", "ifname", "active")]
    rebuilt = {
        struct.pack(">IIHHB3x", *(column[i] for column in flow)): stats_bytes(*(column[i] for column in stats))
        for i in range(len(columns))
    }
    assert rebuilt == bpftool.dump(m.id)
