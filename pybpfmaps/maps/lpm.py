"""``LpmTrieMap``: BPF_MAP_TYPE_LPM_TRIE, IP networks (or other prefixed keys), with longest-prefix matching."""

from __future__ import annotations

import errno
import ipaddress
import sys
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pybpfmaps._typevars import K, V
from pybpfmaps.codecs.addresses import NetworkCodec, lpm_ipv4, lpm_ipv6
from pybpfmaps.codecs.aggregates import AggregateCodec
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import CodecError, KeyNotFoundError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self

D = TypeVar("D")
_MISSING: Any = object()


class LpmTrieMap(MutableBpfMap[K, V]):
    """A BPF longest-prefix-match trie (``BPF_MAP_TYPE_LPM_TRIE``) keyed by IP networks.

    As a mapping it is exact: ``m[net]``, ``net in m`` and ``m.get(net)`` look for that very
    network. ``m.match(address)`` is the trie's own lookup: the value of the longest prefix that
    contains the address. Tries made elsewhere with other keys (a prefix length and any data, as
    a struct of their own) keep that struct as their keys, and ``match`` takes such a key.

    Minimum kernel:
        4.11; batch commands from 5.13 (none for lookup-and-delete).

    Examples:
        >>> from pybpfmaps import LpmTrieMap, u32
        >>> with LpmTrieMap.create(value=u32, max_entries=16) as routes:
        ...     routes.update_many({"10.0.0.0/8": 1, "10.1.0.0/16": 2})
        ...     routes.match("10.1.2.3"), routes.match("10.9.9.9"), routes.match("192.0.2.1", None)
        2
        (2, 1, None)
    """

    map_type: ClassVar[MapType | None] = MapType.LPM_TRIE
    create_flags: ClassVar[MapFlags] = MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(
        cls,
        *,
        value: Codec[V] | type[V],
        max_entries: int,
        name: str = "",
        flags: MapFlags | int = MapFlags.NO_PREALLOC,
        key: Codec[K] | type[K] = lpm_ipv4,  # type: ignore[assignment]
        btf: bool = True,
    ) -> Self:
        """Create a trie of IPv4 networks (``key=lpm_ipv6`` for IPv6); the kernel needs ``NO_PREALLOC``."""
        return super().create(
            key=key, value=value, max_entries=max_entries, name=name, flags=int(flags) | MapFlags.NO_PREALLOC, btf=btf
        )

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        defaults: dict[int, Codec[Any]] = {lpm_ipv4.size: lpm_ipv4, lpm_ipv6.size: lpm_ipv6}
        return defaults.get(info.key_size) or super()._default_key(info)

    @classmethod
    def _typed_key(cls, codec: Codec[Any], info: MapInfo) -> Codec[Any] | None:
        """Keys keep the struct the program declared, unless it is the standard prefix length + an
        IPv4 or IPv6 address (8 or 20 bytes: a 4-byte member, then one of the rest): then networks."""
        address = lpm_ipv4 if info.key_size == lpm_ipv4.size else lpm_ipv6 if info.key_size == lpm_ipv6.size else None
        if isinstance(codec, AggregateCodec) and not codec.union and address is not None:
            spans = [(slot.offset, slot.end) for slot in codec.slots if not slot.bits]
            if spans == [(0, 4), (4, info.key_size)] and len(codec.slots) == 2:
                return address
        return super()._typed_key(codec, info)

    def match(self, key: Any, default: Any = _MISSING) -> Any:
        """The value of the longest prefix that matches *key*; *default* (else ``KeyError``) if none does.

        For IPv4 and IPv6 tries *key* is an address. For tries of other keys it is a key of the
        map's type, whose prefix length bounds the match as in the kernel's own lookup, or the
        key's data bytes alone (``key_size - 4`` of them), matched at their full length.
        """
        raw_key = self._match_key(key)
        data = self._handle.lookup_raw(raw_key)
        if data is not None:
            return self._handle.value.unpack(data)
        if default is _MISSING:
            message = f"no prefix contains {key!r}"
            raise KeyNotFoundError(errno.ENOENT, message, command="BPF_MAP_LOOKUP_ELEM", map_label=self._handle.label)
        return default

    def _match_key(self, key: Any) -> bytes:
        width = self._handle.info.key_size - 4
        if isinstance(self._handle.key, NetworkCodec):
            ipv4 = self._handle.key.size == lpm_ipv4.size
            try:
                host = ipaddress.IPv4Address(key) if ipv4 else ipaddress.IPv6Address(key)
            except (ValueError, TypeError) as exc:
                raise CodecError(f"bad address for {self._handle.label}: {key!r}: {exc}") from None
            return (8 * width).to_bytes(4, sys.byteorder) + host.packed
        if isinstance(key, (bytes, bytearray, memoryview)) and len(key) == width:
            return (8 * width).to_bytes(4, sys.byteorder) + bytes(key)
        return self._handle.pack_key(key)

    def __getitem__(self, key: K) -> V:
        raw_key = self._handle.pack_key(key)
        if not self._holds_exactly(raw_key):
            message = f"key not found: {key!r}"
            raise KeyNotFoundError(errno.ENOENT, message, command="BPF_MAP_LOOKUP_ELEM", map_label=self._handle.label)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        return self._holds_exactly(self._handle.pack_key(key))

    def _holds_exactly(self, raw_key: bytes) -> bool:
        """Whether this very prefix is in the trie (a lookup would return a shorter one that contains it).

        GET_NEXT_KEY of a prefix that is not in the trie starts over at the first key, and no
        prefix's successor is the first key (docs/kernel-notes.md#get-next-key).
        """
        first = self._handle.next_raw_key(None)
        if first is None:
            return False
        following = self._handle.next_raw_key(raw_key)
        return following is None or following != first
