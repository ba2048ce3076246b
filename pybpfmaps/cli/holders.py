"""Who holds a map: the processes with an fd of it open, found in ``/proc/*/fd`` and their fdinfo
(as bpftool's ``pids`` shows them), and what the kernel charges for its memory (``memlock``)."""

from __future__ import annotations

import os
from typing import Any

import attrs

from pybpfmaps._sys.fd import read_fdinfo

BPF_MAP_LINK = "anon_inode:bpf-map"
"""What ``readlink /proc/PID/fd/N`` says of an fd of a BPF map."""


@attrs.frozen
class Holder:
    """A process with the map open: its pid, command name and the fds it holds it by."""

    pid: int
    command: str
    fds: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "command": self.command, "fds": list(self.fds)}

    def __str__(self) -> str:
        return f"{self.command}({self.pid})"


def holders(map_id: int, proc: str = "/proc") -> list[Holder]:
    """The processes other than this one that hold map *map_id* open, by pid. Processes and fds that
    go away while they are read, or that this user may not look into, are left out."""
    found: list[Holder] = []
    me = os.getpid()
    for entry in os.scandir(proc):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        fds = tuple(sorted(_map_fds(f"{proc}/{entry.name}", map_id)))
        if fds:
            found.append(Holder(int(entry.name), _command(f"{proc}/{entry.name}"), fds))
    return sorted(found, key=lambda holder: holder.pid)


def memlock(fd: int) -> int | None:
    """The bytes the kernel charges for the map behind *fd* (its fdinfo's ``memlock``)."""
    value = read_fdinfo(fd).get("memlock")
    return int(value) if value is not None and value.isdigit() else None


def _map_fds(process: str, map_id: int) -> list[int]:
    fds: list[int] = []
    try:
        entries = list(os.scandir(f"{process}/fd"))
    except OSError:  # gone, or not ours to look into
        return fds
    for entry in entries:
        try:
            if os.readlink(entry.path) != BPF_MAP_LINK:
                continue
            with open(f"{process}/fdinfo/{entry.name}", "rb") as info:
                text = info.read().decode(errors="replace")
        except OSError:
            continue
        if f"\nmap_id:\t{map_id}\n" in f"\n{text}":
            fds.append(int(entry.name))
    return fds


def _command(process: str) -> str:
    try:
        with open(f"{process}/comm", "rb") as comm:
            return comm.read().decode(errors="replace").strip()
    except OSError:
        return "?"
