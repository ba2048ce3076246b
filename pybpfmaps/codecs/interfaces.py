"""``ifindex``: a network interface index (``__u32 ifindex``) that takes and gives interface names.

Names are resolved through netlink (pyroute2) in this process's network namespace, or in a
named one (``IfindexCodec(netns="blue")``): interface indexes are per namespace while maps are
not. Writing takes a name or an index; reading gives the name of an interface that exists, and
the bare index of one that does not (any more).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pybpfmaps import _netlink
from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import btf_type
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["IfindexCodec", "ifindex"]

_U32 = struct.Struct("=I")


class IfindexCodec(Codec[str | int]):
    """An interface index as 4 host-order bytes, given and taken as an interface name."""

    __slots__ = ("netns",)

    def __init__(self, netns: str | None = None) -> None:
        super().__init__(4, "ifindex" if netns is None else f"ifindex(netns={netns!r})", 4)
        self.netns = netns

    def pack(self, value: str | int) -> bytes:
        return _U32.pack(self._index(value, None))

    def unpack(self, data: Buffer) -> str | int:
        index: int = _U32.unpack(data)[0]
        names = {number: name for name, number in _netlink.interfaces(self.netns).items()}
        return names.get(index, index)

    def pack_many(self, values: Iterable[str | int]) -> bytes:
        items = list(values)
        known = _netlink.interfaces(self.netns) if any(isinstance(item, str) for item in items) else {}
        return b"".join(_U32.pack(self._index(item, known)) for item in items)

    def unpack_many(self, data: Buffer, count: int) -> list[str | int]:
        names = {number: name for name, number in _netlink.interfaces(self.netns).items()}
        indexes = struct.unpack_from(f"={count}I", data)
        return [names.get(index, index) for index in indexes]

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("4s", self.pack, self.unpack)

    def _index(self, value: object, known: dict[str, int] | None) -> int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise CodecTypeError(
                f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a name or an index"
            )
        if isinstance(value, int):
            if not 0 < value < 1 << 32:
                raise CodecError(f"{self.name} cannot encode {value!r}: interface indexes are 1..{(1 << 32) - 1}")
            return value
        if known is None:
            if self.netns is not None:
                _netlink.netns_path(self.netns)  # a missing namespace is its own error, not a missing interface
            try:
                return _netlink.index_of(value, self.netns)
            except BpfArgumentError:
                known = {}
        if value not in known:
            where = f"network namespace {self.netns!r}" if self.netns else "this network namespace"
            raise CodecError(f"{self.name} cannot encode {value!r}: {where} has no interface by that name")
        return known[value]


ifindex = IfindexCodec()
"""An interface index in this process's network namespace; gives names (``"eth0"``)."""


@btf_type.register(IfindexCodec)
def _(codec: IfindexCodec, builder: Builder) -> int:
    return builder.typedef("ifindex", builder.int_type("__u32", 4))
