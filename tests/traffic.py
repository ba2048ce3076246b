"""Real UDP traffic from this namespace to 10.99.0.2 in the ``veth`` fixture's namespace."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

RECEIVE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 9999))
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
    """Send UDP datagrams from 10.99.0.1 to 10.99.0.2 and return how many arrived in the namespace."""
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", RECEIVE, "1.0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().strip() == "ready"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(datagrams):
                sender.sendto(b"hello", ("10.99.0.2", 9999))
                time.sleep(0.002)
        return int(receiver.stdout.readline())
    finally:
        receiver.wait(timeout=10)
        if receiver.stdout is not None:
            receiver.stdout.close()
