"""An AF_XDP socket ready for an xskmap: a UMEM of anonymous memory and its rings, not bound."""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import socket
import struct
from collections.abc import Iterator

AF_XDP = 44
SOL_XDP = 283
XDP_RX_RING, XDP_UMEM_REG, XDP_UMEM_FILL_RING, XDP_UMEM_COMPLETION_RING = 2, 4, 5, 6
FRAME = 4096


@contextlib.contextmanager
def xsk_socket(frames: int = 16) -> Iterator[socket.socket]:
    """An AF_XDP socket with a registered UMEM and fill, completion and receive rings."""
    memory = mmap.mmap(-1, frames * FRAME)
    sock = socket.socket(AF_XDP, socket.SOCK_RAW, 0)
    try:
        address = ctypes.addressof(ctypes.c_char.from_buffer(memory))
        sock.setsockopt(SOL_XDP, XDP_UMEM_REG, struct.pack("=QQIIII", address, frames * FRAME, FRAME, 0, 0, 0))
        for ring in (XDP_UMEM_FILL_RING, XDP_UMEM_COMPLETION_RING, XDP_RX_RING):
            sock.setsockopt(SOL_XDP, ring, 64)
        yield sock
    finally:
        sock.close()
        with contextlib.suppress(BufferError):  # ctypes' view of the memory may outlive us in the GC
            memory.close()
