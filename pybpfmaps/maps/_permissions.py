"""Permission diagnosis: what an fd and its map allow, and why the kernel answered EPERM."""

from __future__ import annotations

import os

from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps.errors import PRIVILEGE_HINT

_O_ACCMODE = 0o3


def fd_state(fd: Fd) -> tuple[int | None, bool]:
    """*fd*'s access mode (``os.O_RDONLY``/``O_WRONLY``/``O_RDWR``; ``None`` once closed) and
    whether its map is frozen."""
    number = fd.acquire()
    if number < 0:
        return None, False
    try:
        fields = read_fdinfo(number)
    finally:
        fd.release()
    return int(fields.get("flags", "2"), 8) & _O_ACCMODE, fields.get("frozen") == "1"


def refusal_reason(fd: Fd, writing: bool, created_access: str | None) -> str:
    """Why a map refused a read or a write (*writing*): frozen, a one-way fd, a map created one-way
    for user space (*created_access*: ``"read-only"``/``"write-only"``), or the process's privileges."""
    mode, frozen = fd_state(fd)
    if writing and frozen:
        return "the map is frozen: user space can no longer change it"
    if writing and mode == os.O_RDONLY:
        return "this map object was opened read-only"
    if not writing and mode == os.O_WRONLY:
        return "this map object was opened write-only"
    if created_access is not None:
        return f"the map was created {created_access} for user space"
    return PRIVILEGE_HINT
