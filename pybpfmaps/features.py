"""Which batch commands a map supports, found with a count=0 probe on its own fd and cached per map type.

A batch command called with count=0 does nothing, but the kernel still checks it exists:
0 means supported, EINVAL that the kernel has no batch commands at all (Linux < 5.6), ENOTSUPP
(524) or EOPNOTSUPP that this map type lacks the op. EPERM (a frozen map, a read- or write-only
fd) says nothing about support: it is not cached, and the operation is tried for real. Only
conclusive answers are cached, per (map type, command), for the life of the process.
"""

from __future__ import annotations

import enum
import errno

import attrs

from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.syscall import RawBpfError

BATCH_COMMANDS = {
    "lookup": uapi.BPF_MAP_LOOKUP_BATCH,
    "lookup_and_delete": uapi.BPF_MAP_LOOKUP_AND_DELETE_BATCH,
    "update": uapi.BPF_MAP_UPDATE_BATCH,
    "delete": uapi.BPF_MAP_DELETE_BATCH,
}


class Probe(enum.Enum):
    """The answer of one probe."""

    SUPPORTED = "supported"
    NO_BATCH_API = "the kernel has no batch commands (Linux < 5.6)"
    NOT_FOR_MAP_TYPE = "this map type has no such batch op"
    UNKNOWN = "unknown (the map is frozen or the fd is read-only or write-only)"


_cache: dict[tuple[int, int], Probe] = {}


def probe(fd: int, map_type: int, cmd: int) -> Probe:
    """Whether batch command *cmd* works on maps of *map_type*, asking the map behind *fd* if not known."""
    known = _cache.get((map_type, cmd))
    if known is not None:
        return known
    try:
        commands.map_batch_probe(fd, cmd)
    except RawBpfError as exc:
        if exc.errno == errno.EINVAL:
            answer = Probe.NO_BATCH_API
        elif exc.errno in (uapi.ENOTSUPP, errno.EOPNOTSUPP):
            answer = Probe.NOT_FOR_MAP_TYPE
        else:
            return Probe.UNKNOWN
    else:
        answer = Probe.SUPPORTED
    _cache[(map_type, cmd)] = answer
    return answer


def forget() -> None:
    """Drop every cached answer (for tests that change what the process may call)."""
    _cache.clear()


@attrs.frozen
class BatchSupport:
    """Which bulk operations of a map run as one batch syscall, and why the others do not.

    Each flag is True when the batch command works for this map; a False one runs element by
    element, with the same results. ``update`` is also per element for ``UpdateFlags.NOEXIST``
    and ``EXIST``, which no released kernel accepts in a batch.
    """

    lookup: bool
    lookup_and_delete: bool
    update: bool
    delete: bool
    reason: str

    @classmethod
    def of(cls, fd: int, map_type: int) -> BatchSupport:
        """Probe (or recall) the four batch commands for a map."""
        answers = {name: probe(fd, map_type, cmd) for name, cmd in BATCH_COMMANDS.items()}
        by_answer: dict[Probe, list[str]] = {}
        for name, answer in answers.items():
            by_answer.setdefault(answer, []).append(name)
        missing = {answer: names for answer, names in by_answer.items() if answer is not Probe.SUPPORTED}
        if not missing:
            reason = "every batch command works for this map"
        else:
            reason = "; ".join(f"{', '.join(names)}: {answer.value}" for answer, names in missing.items())
            reason += " (those run element by element)"
        flags = {name: answers[name] is Probe.SUPPORTED for name in BATCH_COMMANDS}
        return cls(reason=reason, **flags)
