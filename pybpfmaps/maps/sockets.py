"""``SockMap``, ``SockHashMap`` and ``ReuseportSockArrayMap``: maps whose values are sockets.

``m[k] = sock`` stores a socket (a Python ``socket``, anything with ``fileno()``, or an fd): TCP
sockets that are established (or listening, Linux 5.10+), UDP sockets (5.7+), and for reuseport
arrays sockets bound with ``SO_REUSEPORT``. Reading gives the socket's **cookie** (the number
``getsockopt(SOL_SOCKET, SO_COOKIE)`` gives, and ``bpf_get_socket_cookie`` in a program): the
kernel cannot hand a socket back to another process. ``del m[k]`` removes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _fd_values, _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.slots import SlotArray

if TYPE_CHECKING:
    from typing_extensions import Self

SOCKET = _fd_values.FdValueCodec("socket", int, size=8)
"""A socket map's value: a socket (or its fd) in, its cookie out (8 bytes: what user space can read)."""


def _value(info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
    if value not in (None, SOCKET):
        raise BpfArgumentError(f"{info.label}: a socket map's values are sockets")
    if info.value_size != SOCKET.size:  # made elsewhere with 4-byte values: written as fds, cookies unreadable
        return _fd_values.FdValueCodec("socket", int, size=info.value_size)
    return SOCKET


class SockMap(SlotArray):
    """``BPF_MAP_TYPE_SOCKMAP``: sockets by index, for ``bpf_sk_redirect_map`` and ``bpf_msg_redirect_map``.
    Linux 4.14+."""

    map_type: ClassVar[MapType | None] = MapType.SOCKMAP

    @classmethod
    def create(cls, *, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE) -> Self:  # type: ignore[override]
        """A new, empty sockmap of *max_entries* slots."""
        return create_keyed(cls, u32, SOCKET, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _slot_value(cls, info: MapInfo, value: Codec[Any] | type | None) -> Codec[Any]:
        return _value(info, value)


class ReuseportSockArrayMap(SockMap):
    """``BPF_MAP_TYPE_REUSEPORT_SOCKARRAY``: ``SO_REUSEPORT`` sockets by index, for
    ``bpf_sk_select_reuseport``. Linux 4.19+."""

    map_type: ClassVar[MapType | None] = MapType.REUSEPORT_SOCKARRAY


class SockHashMap(MutableBpfMap[Any, int]):
    """``BPF_MAP_TYPE_SOCKHASH``: sockets by key (a flow, say). Linux 4.18+."""

    map_type: ClassVar[MapType | None] = MapType.SOCKHASH
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, key: Codec[Any] | type, max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE
    ) -> Self:
        """A new, empty sockhash of *key* → sockets."""
        return create_keyed(cls, as_codec(key, "key"), SOCKET, max_entries, name, int(flags), with_btf=False)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        return super()._from_kernel(fd, info, key, _value(info, value), pin_path, btf)
