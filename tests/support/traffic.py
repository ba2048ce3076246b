"""UDP for XDP tests: frames for BPF_PROG_TEST_RUN, and real traffic from this namespace (``HERE``) to
``THERE`` in the ``veth`` fixture's namespace."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time

SUBNET = ipaddress.IPv4Network(f"10.99.{os.getpid() % 250}.0/24")
"""The veth pair's network: one per test process, so that two runs of the suite at once (CI and a
developer's) do not route each other's datagrams."""
HERE, THERE = str(SUBNET[1]), str(SUBNET[2])
"""The address of the veth end in this namespace, and of the end in the fixture's namespace."""


def udp_frame(source: str, destination: str = "10.0.0.2", sport: int = 0, dport: int = 0) -> bytes:
    """An Ethernet frame carrying an IPv4/UDP header (checksums do not matter to XDP)."""
    ethernet = bytes(6) + bytes.fromhex("020000000001") + b"\x08\x00"
    addresses = ipaddress.IPv4Address(source).packed + ipaddress.IPv4Address(destination).packed
    ip_header = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]) + addresses
    return ethernet + ip_header + sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + bytes(4)


RECEIVE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 9999))
s.settimeout(float(sys.argv[1]))
print("ready", flush=True)
got = 0
try:
    while True:
        s.recv(64)
        got += 1
except socket.timeout:
    pass
print(got, flush=True)
"""


def send_and_count(ns: str, datagrams: int) -> int:
    """Send UDP datagrams from ``HERE`` to ``THERE`` and return how many arrived in the namespace."""
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", RECEIVE, "1.0", THERE], stdout=subprocess.PIPE, text=True
    )
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().strip() == "ready"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(datagrams):
                sender.sendto(b"hello", (THERE, 9999))
                time.sleep(0.002)
        return int(receiver.stdout.readline())
    finally:
        receiver.wait(timeout=10)
        if receiver.stdout is not None:
            receiver.stdout.close()
