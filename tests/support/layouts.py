"""Layout classes the tests share: a 5-tuple flow key as XDP programs declare it."""

from __future__ import annotations

import enum
import ipaddress

import attrs

from pybpfmaps import be16, field, int_enum, ipv4, u8


class Proto(enum.IntEnum):
    TCP = 6
    UDP = 17


@attrs.frozen
class Flow:
    """``struct flow { __be32 saddr, daddr; __be16 sport, dport; __u8 proto; }`` (16 bytes, 3 of tail padding)."""

    saddr: ipaddress.IPv4Address = ipv4()
    daddr: ipaddress.IPv4Address = ipv4()
    sport: int = be16()
    dport: int = be16()
    proto: Proto = field(int_enum(Proto, u8))
