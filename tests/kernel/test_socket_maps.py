"""Socket maps on the real kernel: sockets go in, their cookies come out, and the cookies are the
ones the socket itself reports (``SO_COOKIE``); bpftool reads the same cookies."""

from __future__ import annotations

import socket
import struct
import sys
from collections.abc import Iterator

import pytest

from pybpfmaps import (
    AttachType,
    BpfMap,
    BpfProgram,
    BpfSyscallError,
    CodecTypeError,
    KeyExistsError,
    KeyNotFoundError,
    ProgType,
    ReuseportSockArrayMap,
    SockHashMap,
    SockMap,
    UpdateFlags,
    asm,
    u32,
)
from tests.kernel.conftest import MakeMap
from tests.support import bpftool

pytestmark = pytest.mark.needs_kernel("4.19", "sockmaps, sockhashes, reuseport socket arrays")

SO_COOKIE = 57  # include/uapi/asm-generic/socket.h


def cookie(sock: socket.socket) -> int:
    value: int = struct.unpack("=Q", sock.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]
    return value


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """An established TCP connection over loopback: (client, server side)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    with client, server:
        yield client, server


def held(map_id: int) -> dict[int, int]:
    return {struct.unpack("=I", k)[0]: int.from_bytes(v, sys.byteorder) for k, v in bpftool.dump(map_id).items()}


def test_a_sockmap_holds_sockets_and_shows_their_cookies(
    make_map: MakeMap, connection: tuple[socket.socket, socket.socket]
) -> None:
    client, server = connection
    sockets = make_map(SockMap, max_entries=8, name="socks")
    sockets[1] = client
    sockets[5] = server.fileno()
    assert sockets[1] == cookie(client)
    assert dict(sockets.items()) == {1: cookie(client), 5: cookie(server)}
    assert (list(sockets), len(sockets)) == ([1, 5], 2)
    assert held(sockets.id) == {1: cookie(client), 5: cookie(server)}
    del sockets[1]
    assert sockets.ids() == {5: cookie(server)}
    with pytest.raises(CodecTypeError, match="expected a socket object or its file descriptor"):
        sockets[2] = "not a socket"
    with BpfMap.from_id(sockets.id) as reopened:
        assert (type(reopened), dict(reopened.items())) == (SockMap, {5: cookie(server)})


def test_a_sockhash_keys_sockets_by_anything(
    make_map: MakeMap, connection: tuple[socket.socket, socket.socket]
) -> None:
    client, server = connection
    by_port = make_map(SockHashMap, key=u32, max_entries=8, name="by_port")
    by_port[client.getsockname()[1]] = client
    by_port[server.getsockname()[1]] = server
    assert by_port.copy() == {client.getsockname()[1]: cookie(client), server.getsockname()[1]: cookie(server)}
    assert held(by_port.id) == by_port.copy()


def test_a_reuseport_array_takes_reuseport_sockets(make_map: MakeMap) -> None:
    group = make_map(ReuseportSockArrayMap, max_entries=2, name="reuseport")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as member:
        member.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        member.bind(("127.0.0.1", 0))
        group[0] = member
        assert group[0] == cookie(member)
        assert held(group.id) == {0: cookie(member)}


def test_the_kernels_reuseport_array_scenario(make_map: MakeMap) -> None:
    """After ``test_reuseport_array`` of the kernel's test_maps.c: which sockets go in, NOEXIST and
    EXIST, cookies of TCP listeners and UDP sockets, and an element gone with its socket."""
    group = make_map(ReuseportSockArrayMap, max_entries=4, name="reuseport")
    with socket.socket() as plain:
        plain.bind(("127.0.0.1", 0))
        with pytest.raises(BpfSyscallError):
            group[0] = plain  # not SO_REUSEPORT, not listening: refused
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams:
        datagrams.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        datagrams.bind(("127.0.0.1", 0))
        group.put(0, listener, UpdateFlags.NOEXIST)
        with pytest.raises(KeyExistsError):
            group.put(0, datagrams, UpdateFlags.NOEXIST)
        with pytest.raises(KeyNotFoundError):
            group.put(1, datagrams, UpdateFlags.EXIST)
        group[1] = datagrams
        assert group.copy() == {0: cookie(listener), 1: cookie(datagrams)}
    assert group.copy() == {}  # closed sockets leave the array


SK_REDIRECT_MAP = 52  # enum bpf_func_id: bpf_sk_redirect_map


def test_a_verdict_program_splices_one_connection_into_another(make_map: MakeMap) -> None:
    """After the kernel's sockmap scenario: a verdict program attached to the sockmap redirects
    what one socket receives to the egress of the socket at index 1, so bytes sent on the first
    connection come out of the second."""
    sockets = make_map(SockMap, max_entries=2, name="splice")
    program: list[asm.Item] = [
        *asm.ld_map(asm.R2, sockets),  # r1 = the skb already
        asm.mov(asm.R3, 1),
        asm.mov(asm.R4, 0),  # to the socket's egress
        asm.call(SK_REDIRECT_MAP),
        asm.exit(),
    ]
    with BpfProgram.load(program, ProgType.SK_SKB, name="splice") as verdict, \
            verdict.attach_map(sockets, AttachType.SK_SKB_VERDICT), \
            socket.create_server(("127.0.0.1", 0)) as listener:  # fmt: skip
        first_client = socket.create_connection(listener.getsockname())
        first_server, _ = listener.accept()
        second_client = socket.create_connection(listener.getsockname())
        second_server, _ = listener.accept()
        with first_client, first_server, second_client, second_server:
            sockets[0] = first_server  # its incoming bytes go to the verdict program
            sockets[1] = second_server  # ... which sends them out of this one
            first_client.sendall(b"through the sockmap")
            second_client.settimeout(5)
            received = b""
            while len(received) < len(b"through the sockmap"):
                received += second_client.recv(64)
            assert received == b"through the sockmap"
