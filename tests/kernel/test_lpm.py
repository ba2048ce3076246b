"""LPM tries: exact mapping semantics, longest-prefix match, bulk operations, the kernel's key layout."""

from __future__ import annotations

import ipaddress
import struct
import sys
from typing import Any

import pytest

from pybpfmaps import BatchDeleteError, BpfMap, CodecError, KeyNotFoundError, LpmTrieMap, MapFlags, lpm_ipv6, u32
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.18", "LPM tries with BTF")

N4 = ipaddress.IPv4Network


def key_bytes(network: str) -> bytes:
    net = ipaddress.ip_network(network)
    return net.prefixlen.to_bytes(4, sys.byteorder) + net.network_address.packed


def contents(m: BpfMap[Any, Any]) -> dict[bytes, int]:
    return {k: struct.unpack("=I", v)[0] for k, v in bpftool.dump(m.id).items()}


def test_keys_are_stored_in_the_kernel_layout(make_map: MakeMap, batch_native: bool) -> None:
    m = make_map(LpmTrieMap, value=u32, max_entries=16, name="routes")
    assert m.info.flags & MapFlags.NO_PREALLOC
    assert m.update_many({"10.0.0.0/8": 1, N4("10.1.0.0/16"): 2, "192.168.1.7": 3}) == 3
    assert contents(m) == {key_bytes("10.0.0.0/8"): 1, key_bytes("10.1.0.0/16"): 2, key_bytes("192.168.1.7/32"): 3}
    assert set(m) == {N4("10.0.0.0/8"), N4("10.1.0.0/16"), N4("192.168.1.7/32")}
    assert m.copy() == {N4("10.0.0.0/8"): 1, N4("10.1.0.0/16"): 2, N4("192.168.1.7/32"): 3}
    support = m.batch_support
    assert (support.lookup, support.update, support.delete, support.lookup_and_delete) == (
        batch_native, batch_native, batch_native, False
    )  # fmt: skip


def test_mapping_access_is_exact_and_match_is_longest_prefix(make_map: MakeMap) -> None:
    m = make_map(LpmTrieMap, value=u32, max_entries=16)
    m.update_many({"10.0.0.0/8": 8, "10.1.0.0/16": 16, "10.1.2.0/24": 24})
    assert m["10.1.0.0/16"] == 16
    assert "10.1.0.0/16" in m
    assert "10.2.0.0/16" not in m  # inside 10.0.0.0/8, but not itself a key
    assert m.get("10.2.0.0/16") is None
    with pytest.raises(KeyNotFoundError):
        m["10.2.0.0/16"]
    assert m.match("10.1.2.3") == 24
    assert m.match("10.1.9.9") == 16
    assert m.match(ipaddress.IPv4Address("10.200.0.1")) == 8
    assert m.match("11.0.0.1", None) is None
    with pytest.raises(KeyError, match=r"no prefix contains '11.0.0.1'"):
        m.match("11.0.0.1")
    with pytest.raises(CodecError, match="bad address"):
        m.match("not-an-address")


def test_removal(make_map: MakeMap) -> None:
    m = make_map(LpmTrieMap, value=u32, max_entries=16)
    m.update_many({"10.0.0.0/8": 8, "10.1.0.0/16": 16, "172.16.0.0/12": 12})
    assert m.pop("10.1.0.0/16") == 16
    with pytest.raises(KeyError):
        m.pop("10.1.0.0/16")
    assert m.pop("10.5.0.0/16", "absent") == "absent"  # a shorter prefix matches, but the key is not there
    del m["172.16.0.0/12"]
    assert contents(m) == {key_bytes("10.0.0.0/8"): 8}
    with pytest.raises(BatchDeleteError) as caught:
        m.delete_many(["10.0.0.0/8", "10.9.0.0/16"])
    assert (caught.value.applied, caught.value.failed_key) == (1, "10.9.0.0/16")
    m.update_many({f"10.{i}.0.0/16": i for i in range(10)})
    assert m.drain() == {N4(f"10.{i}.0.0/16"): i for i in range(10)}
    assert contents(m) == {}


def test_host_bits_are_refused(make_map: MakeMap) -> None:
    m = make_map(LpmTrieMap, value=u32, max_entries=4)
    with pytest.raises(CodecError, match="has host bits set"):
        m["10.1.0.0/8"] = 1
    assert contents(m) == {}


def test_ipv6(make_map: MakeMap) -> None:
    m = make_map(LpmTrieMap, key=lpm_ipv6, value=u32, max_entries=16)
    m.update_many({"2001:db8::/32": 32, "2001:db8:1::/48": 48})
    assert m.match("2001:db8:1::5") == 48
    assert m.match("2001:db8:2::5") == 32
    assert contents(m)[key_bytes("2001:db8::/32")] == 32
    with BpfMap.from_id(m.id) as opened:
        assert type(opened) is LpmTrieMap
        assert opened.key_codec is lpm_ipv6
        assert opened.match("2001:db8:1::1") == 48  # the value type comes from the map's BTF
