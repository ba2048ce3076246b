"""Run code as an unprivileged user: ``python -m tests.support.privileges CAPS SCRIPT ARGS...``.

Everything is imported while still root, the interpreter's own lazy imports included (it may
live where ``nobody`` cannot read, as under /root), then the process becomes uid/gid 65534
keeping only the capabilities named in CAPS (``none`` or e.g. ``bpf``), and runs SCRIPT's
``main(args)``, which prints what it finds.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys

PR_SET_KEEPCAPS = 8
LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAPABILITIES = {"bpf": 39, "sys_admin": 21, "net_admin": 12, "perfmon": 38}


class CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class CapData(ctypes.Structure):
    _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32))


def become_nobody(keep: list[str]) -> None:
    """uid/gid 65534, no supplementary groups, and only the capabilities in *keep*."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_KEEPCAPS)")
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    data = (CapData * 2)()
    for name in keep:
        bit = CAPABILITIES[name]
        data[bit // 32].effective |= 1 << (bit % 32)
        data[bit // 32].permitted |= 1 << (bit % 32)
    if libc.capset(ctypes.byref(CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


if __name__ == "__main__":
    caps, script, *args = sys.argv[1:]
    for lazily_imported in ("encodings.ascii", "locale", "gettext", "shutil"):
        importlib.import_module(lazily_imported)
    module = importlib.import_module(script)
    become_nobody([] if caps == "none" else caps.split(","))
    module.main(args)
