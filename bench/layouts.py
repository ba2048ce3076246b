"""The struct layouts the benchmarks measure: a flow key, the flow table's value, a process record."""

from __future__ import annotations

import ipaddress

import attrs

from pybpfmaps import be16, field, ipv4, string, u8, u32, u64


@attrs.frozen
class Flow:
    """A 16-byte 5-tuple key, as XDP programs declare it."""

    saddr: ipaddress.IPv4Address = ipv4()
    daddr: ipaddress.IPv4Address = ipv4()
    sport: int = be16()
    dport: int = be16()
    proto: int = u8()


@attrs.frozen
class Stats:
    """A 32-byte value: the per-flow counters and timestamps of a flow table."""

    packets: int = u64()
    bytes: int = u64()
    first_seen: int = u64()
    last_seen: int = u64()


@attrs.frozen
class Process:
    """A 20-byte record with a ``char[16]`` name."""

    pid: int = u32()
    comm: str = field(string(16))
