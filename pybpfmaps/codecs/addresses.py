"""Network addresses: ``ipv4``/``ipv6`` (``struct in_addr``/``in6_addr``), the LPM trie keys
``lpm_ipv4``/``lpm_ipv6`` (``struct bpf_lpm_trie_key`` of an IP network) and ``mac`` (Ethernet)."""

from __future__ import annotations

import array
import ipaddress
import re
import struct
import sys
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import BTF_SHAPES, btf_type
from pybpfmaps.errors import CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["ipv4", "ipv6", "lpm_ipv4", "lpm_ipv6", "mac"]

A = TypeVar("A", ipaddress.IPv4Address, ipaddress.IPv6Address)


N = TypeVar("N", ipaddress.IPv4Network, ipaddress.IPv6Network)


_packed = attrgetter("packed")


_address_int: Callable[[Any], int] | None = (
    attrgetter("_ip") if isinstance(getattr(ipaddress.IPv4Address(0), "_ip", None), int) else None
)


class AddressCodec(Codec[A], Generic[A]):
    """An IP address in network byte order, laid out like ``struct in_addr`` or ``struct in6_addr``
    (aligned to 4). Takes an address, a string such as ``"10.0.0.1"``, or the packed bytes."""

    __slots__ = ("_type",)

    def __init__(self, address_type: type[A], name: str, size: int) -> None:
        super().__init__(size, name, 4)
        self._type: type[A] = address_type

    def pack(self, value: A | str | bytes) -> bytes:
        if isinstance(value, self._type):
            return value.packed  # the constructor would go through str()
        return self._address(value).packed

    def _address(self, value: object) -> A:
        if isinstance(value, bool):  # an int to ipaddress, but never meant as one
            raise CodecTypeError(f"{self.name} cannot encode {value!r} (bool): expected an address")
        try:
            return self._type(int(value) if isinstance(value, int) else value)
        except (ValueError, TypeError) as exc:
            raise _address_error(self.name, _version(self._type), value, exc) from None

    def unpack(self, data: bytes) -> A:
        return self._type(bytes(data))

    def pack_many(self, values: Iterable[A | str | bytes]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        if set(map(type, items)) <= {self._type}:
            if self.size == 4 and _address_int is not None:
                return struct.pack(f">{len(items)}I", *map(_address_int, items))
            return b"".join(map(_packed, items))
        return b"".join(map(self.pack, items))

    def unpack_many(self, data: Buffer, count: int) -> list[A]:
        if self.size == 4:
            return list(map(self._type, struct.unpack_from(f">{count}I", data)))
        view = memoryview(data).cast("B")
        return [self._type(bytes(view[i : i + 16])) for i in range(0, count * 16, 16)]

    def unpack_column(self, data: Buffer, count: int) -> Any:
        """IPv4: an ``array.array`` of each address's number (``int(IPv4Address)``); IPv6: addresses."""
        if self.size != 4:
            return self.unpack_many(data, count)
        column = array.array("I")
        column.frombytes(memoryview(data).cast("B")[: 4 * count])
        if sys.byteorder == "little":
            column.byteswap()
        return column

    def field_converter(self) -> Callable[[Any], Any]:
        address_type, convert = self._type, self._address
        return lambda value: value if type(value) is address_type else convert(value)

    def struct_member(self, order: str = "=") -> StructMember:
        if order == ">" and self.size == 4 and _address_int is not None:
            return StructMember("I", _address_int, self._type)  # in network order, an IPv4 address is a u32
        return StructMember(f"{self.size}s", self.pack, self.unpack)


class NetworkCodec(Codec[N], Generic[N]):
    """An LPM trie key: ``struct bpf_lpm_trie_key { __u32 prefixlen; __u8 data[]; }`` for an IP network.

    Takes an ``IPv4Network``/``IPv6Network``, a string such as ``"10.0.0.0/8"``, or an address
    (a host route, /32 or /128); bits set past the prefix are refused. The prefix length is in
    host byte order, the address in network byte order, as the kernel expects.
    """

    __slots__ = ("_type",)

    def __init__(self, network_type: type[N], name: str, address_size: int) -> None:
        super().__init__(4 + address_size, name, 4)
        self._type: type[N] = network_type

    def pack(self, value: N | str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
        network = value if isinstance(value, self._type) else self._network(value)
        return network.prefixlen.to_bytes(4, sys.byteorder) + network.network_address.packed

    def unpack(self, data: bytes) -> N:
        data = bytes(data)
        prefixlen = int.from_bytes(data[:4], sys.byteorder)
        # strict=False: another writer may have stored bits past the prefix, which the kernel ignores
        return self._type((data[4:], prefixlen), strict=False)

    def field_converter(self) -> Callable[[Any], Any]:
        return lambda value: value if isinstance(value, self._type) else self._network(value)

    def _network(self, value: object) -> N:
        if not _network_like(value) and not (
            isinstance(value, tuple) and len(value) == 2 and _network_like(value[0]) and _prefix_like(value[1])
        ):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a network")
        if isinstance(value, tuple):
            value = tuple(int(part) if isinstance(part, int) else part for part in value)
        elif isinstance(value, int):
            value = int(value)  # an IntEnum, say: ipaddress wants a plain int
        try:
            return self._type(value)
        except (ValueError, TypeError, AttributeError) as exc:  # ipaddress takes (address, prefix) tuples on trust
            hint = _other_family(self.name, _version(self._type), value)
            raise CodecError(f"{self.name} cannot encode {value!r}: {hint or exc}") from None


def _network_like(value: object) -> bool:
    """An address or network as ipaddress takes it, a bool excepted (an int to Python, never meant as one)."""
    kinds = (str, bytes, int, ipaddress.IPv4Address, ipaddress.IPv6Address)
    return isinstance(value, kinds) and not isinstance(value, bool)


def _prefix_like(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


_OTHER_FAMILY = {"ipv4": "ipv6", "ipv6": "ipv4", "lpm_ipv4": "lpm_ipv6", "lpm_ipv6": "lpm_ipv4"}


def _other_family(name: str, version: int, value: object) -> str | None:
    """What to say when *value* is an address or network of the other IP version than *version*."""
    if not isinstance(value, (str, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return None
    try:
        other = ipaddress.ip_network(value, strict=False).version
    except ValueError:
        return None
    if other == version:
        return None
    instead = _OTHER_FAMILY.get(name)
    return f"an IPv{other} {'network' if '/' in str(value) else 'address'}, and {name} holds IPv{version} only" + (
        f": a map of IPv{other} keys or values uses {instead}" if instead else ""
    )


def _version(kind: type) -> int:
    """4 or 6: the IP version of an ``ipaddress`` address or network class."""
    return 4 if issubclass(kind, (ipaddress.IPv4Address, ipaddress.IPv4Network)) else 6


def _address_error(name: str, version: int, value: object, exc: Exception) -> CodecError:
    if isinstance(value, (str, bytes, int, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        hint = _other_family(name, version, value)
        return CodecError(f"{name} cannot encode {value!r}: {hint or exc}")
    return CodecTypeError(f"{name} cannot encode {value!r} ({type(value).__name__}): expected an address or a str")


_MAC = re.compile(r"[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}")


class MacCodec(Codec[str]):
    """An Ethernet address (``__u8[6]``). Takes ``"aa:bb:cc:dd:ee:ff"`` (or ``-`` / no separators) or 6 bytes;
    gives the lower-case, colon-separated string."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(6, "mac")

    def pack(self, value: str | bytes) -> bytes:
        if isinstance(value, (bytes, bytearray)) and len(value) == 6:
            return bytes(value)
        if isinstance(value, str) and _MAC.fullmatch(value):
            return bytes.fromhex(value.replace(":", "").replace("-", ""))
        if not isinstance(value, (str, bytes, bytearray)):
            raise CodecTypeError(f"mac cannot encode {value!r} ({type(value).__name__}): expected a str or 6 bytes")
        raise CodecError(f"mac cannot encode {value!r}: expected 'aa:bb:cc:dd:ee:ff' or 6 bytes")

    def unpack(self, data: bytes) -> str:
        return bytes(data).hex(":")

    def field_converter(self) -> Callable[[Any], Any]:
        return lambda value: self.unpack(self.pack(value))

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("6s", self.pack, self.unpack)


ipv4 = AddressCodec(ipaddress.IPv4Address, "ipv4", 4)
"""An IPv4 address (``struct in_addr``); gives ``ipaddress.IPv4Address``."""


ipv6 = AddressCodec(ipaddress.IPv6Address, "ipv6", 16)
"""An IPv6 address (``struct in6_addr``); gives ``ipaddress.IPv6Address``."""


lpm_ipv4 = NetworkCodec(ipaddress.IPv4Network, "lpm_ipv4", 4)
"""An IPv4 LPM trie key (8 bytes); gives ``ipaddress.IPv4Network``."""


lpm_ipv6 = NetworkCodec(ipaddress.IPv6Network, "lpm_ipv6", 16)
"""An IPv6 LPM trie key (20 bytes); gives ``ipaddress.IPv6Network``."""


mac = MacCodec()
"""An Ethernet address (``__u8[6]``); gives ``"aa:bb:cc:dd:ee:ff"``."""


BTF_SHAPES.structs.update({("in_addr", 4): ipv4, ("in6_addr", 16): ipv6})


@btf_type.register(AddressCodec)
def _(codec: AddressCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    if codec.size == 4:
        be32 = builder.typedef("__be32", builder.int_type("__u32", 4))
        return builder.struct("in_addr", 4, [("s_addr", be32, 0)])
    return builder.struct("in6_addr", 16, [("s6_addr", builder.array(builder.int_type("__u8", 1), 16), 0)])


@btf_type.register(NetworkCodec)
def _(codec: NetworkCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    data = builder.array(builder.int_type("__u8", 1), codec.size - 4)
    name = "lpm_key_ipv4" if codec.size == 8 else "lpm_key_ipv6"
    return builder.struct(name, codec.size, [("prefixlen", builder.int_type("__u32", 4), 0), ("data", data, 4)])


@btf_type.register(MacCodec)
def _(codec: MacCodec, builder: Builder) -> int:
    return builder.array(builder.int_type("__u8", 1), codec.size)
