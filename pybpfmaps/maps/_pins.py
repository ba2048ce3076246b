"""Why a pin path was refused: not on a bpf filesystem, file permissions, or privileges.

The kernel answers EPERM or EACCES for all of these; the path itself tells which applies, so
the error can say what to do (mount bpffs, open read-only, ask for the right capability).
"""

from __future__ import annotations

import errno
import os
import stat

from pybpfmaps.errors import privilege_hint

BPF_FS = "bpf"


def mounts() -> list[tuple[str, str]]:
    """Every mount of this process: (mount point, filesystem type)."""
    found = []
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as table:
            for line in table:
                fields = line.split()
                if len(fields) > 2:
                    found.append((fields[1].replace("\\040", " "), fields[2]))
    except OSError:
        pass
    return found


def bpffs_mounts() -> list[str]:
    """Where bpf filesystems are mounted."""
    return [point for point, kind in mounts() if kind == BPF_FS]


def bpffs_mount_of(path: str) -> str | None:
    """The bpf filesystem mount holding *path* (symlinks resolved), or ``None`` if it is on another filesystem."""
    target = os.path.realpath(path)
    holding = [
        (point, kind) for point, kind in mounts() if target == point or target.startswith(point.rstrip("/") + "/")
    ]
    if not holding:
        return None
    point, kind = max(holding, key=lambda mount: len(mount[0]))  # the innermost mount
    return point if kind == BPF_FS else None


def open_refused(path: str, err: int | None, readonly: bool, command: str) -> str:
    """What to tell someone whose BPF_OBJ_GET of *path* failed with EPERM/EACCES."""
    where = os.path.dirname(path) or "."
    if os.path.exists(path) and bpffs_mount_of(path) is None:
        return f"{path!r} is not on a bpf filesystem (mount -t bpf bpf DIR)"
    if os.path.isdir(path):
        return f"{path!r} is a directory, not a pin"
    if os.path.exists(path):
        may_read, may_write = os.access(path, os.R_OK), os.access(path, os.W_OK)
        owner = _owner(path)
        if may_read and not may_write and not readonly:
            return f"you may only read {path!r} ({owner}): open it with readonly=True"
        if err == errno.EACCES and not may_read:
            return f"no permission to read {path!r} ({owner})"
    elif not os.access(where, os.X_OK):
        return f"no permission to enter {where!r}"
    return privilege_hint(command)


def pin_refused(path: str, err: int | None, command: str) -> str:
    """What to tell someone whose BPF_OBJ_PIN at *path* failed with EPERM/EACCES."""
    where = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(where) and bpffs_mount_of(where) is None:
        return f"{where!r} is not on a bpf filesystem (mount -t bpf bpf DIR)"
    if os.path.isdir(where) and not os.access(where, os.W_OK | os.X_OK):
        return f"no permission to create files in {where!r} ({_owner(where)})"
    return privilege_hint(command)


def _owner(path: str) -> str:
    info = os.stat(path)
    return f"mode {stat.filemode(info.st_mode)}, uid {info.st_uid}"


def already_there(path: str, pinned_id: int | None, this_id: int) -> str:
    """What is at *path*, which BPF_OBJ_PIN found taken: this map, another map (by id), or something else."""
    if pinned_id == this_id:
        return f"{path!r} already pins this map"
    if pinned_id is not None:
        return f"{path!r} already pins another map (id {pinned_id}); unpin it first"
    kind = "a directory" if os.path.isdir(path) else "a symlink" if os.path.islink(path) else "a file"
    return f"{path!r} already exists ({kind})"
