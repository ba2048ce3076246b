"""What the running kernel supports: the one place that decides, remembers, and says since when.

* ``not_supported(errno)``: whether a kernel answer means "this kernel or map type lacks the
  operation" (ENOTSUPP, the kernel-internal 524, or EOPNOTSUPP), for every caller.
* Named probes: ``batch(fd, map_type, name)`` finds whether a batch command works with a count=0
  call on the map's own fd (0: supported; EINVAL: no batch commands at all, Linux < 5.6; not
  supported: this map type lacks it; EPERM, a frozen map or a one-way fd, says nothing and is not
  cached); ``atomic_pop(map_type)`` is what BPF_MAP_LOOKUP_AND_DELETE_ELEM answered for a map type.
* One cache, of conclusive answers only, per (feature, map type), for the life of the process.
* ``SINCE``: the kernel version that brought each feature, for messages and docs.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Callable

import attrs

from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.syscall import RawBpfError

NOT_SUPPORTED = frozenset({uapi.ENOTSUPP, errno.EOPNOTSUPP})
"""Errnos by which the kernel says it, or this map type, lacks an operation."""

SINCE = {
    "btf": "4.18",
    "spin_lock": "5.1",
    "freeze": "5.2",
    "batch": "5.6",
    "batch_percpu_array": "5.13",
    "batch_lpm_trie": "5.13",
    "btf_float": "5.13",
    "atomic_pop_hash": "5.14",
    "batch_maps_of_maps": "5.19",
    "btf_enum64": "6.0",
}
"""The Linux version that brought each feature (docs/kernel-support.md has the table)."""

BATCH_COMMANDS = {
    "lookup": uapi.BPF_MAP_LOOKUP_BATCH,
    "lookup_and_delete": uapi.BPF_MAP_LOOKUP_AND_DELETE_BATCH,
    "update": uapi.BPF_MAP_UPDATE_BATCH,
    "delete": uapi.BPF_MAP_DELETE_BATCH,
}


def not_supported(error: int | None) -> bool:
    """Whether errno *error* means the kernel or the map type lacks the operation."""
    return error in NOT_SUPPORTED


class Probe(enum.Enum):
    """The answer of one probe."""

    SUPPORTED = "supported"
    NO_BATCH_API = f"the kernel has no batch commands (Linux < {SINCE['batch']})"
    NOT_FOR_MAP_TYPE = "this map type has no such batch op"
    UNKNOWN = "unknown (the map is frozen or the fd is read-only or write-only)"


_cache: dict[tuple[str, int], Probe] = {}


def batch(fd: int, map_type: int, name: str, probe: Callable[[int, int], None] = commands.map_batch_probe) -> Probe:
    """Whether batch command *name* (``"update"``, ``"lookup"``...) works on maps of *map_type*,
    asking the map behind *fd* (with *probe*: a count=0 call) if not known."""
    key = (f"batch_{name}", map_type)
    known = _cache.get(key)
    if known is not None:
        return known
    try:
        probe(fd, BATCH_COMMANDS[name])
    except RawBpfError as exc:
        if exc.errno == errno.EINVAL:
            answer = Probe.NO_BATCH_API
        elif not_supported(exc.errno):
            answer = Probe.NOT_FOR_MAP_TYPE
        else:
            return Probe.UNKNOWN
    else:
        answer = Probe.SUPPORTED
    _cache[key] = answer
    return answer


def atomic_pop(map_type: int) -> bool:
    """Whether BPF_MAP_LOOKUP_AND_DELETE_ELEM is worth trying on maps of *map_type* (until one said no)."""
    return _cache.get(("atomic_pop", map_type)) is not Probe.NOT_FOR_MAP_TYPE


def no_atomic_pop(map_type: int) -> None:
    """Remember that maps of *map_type* lack BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash maps before 5.14)."""
    _cache[("atomic_pop", map_type)] = Probe.NOT_FOR_MAP_TYPE


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
    def of(cls, fd: int, map_type: int, probe: Callable[[int, int], None] = commands.map_batch_probe) -> BatchSupport:
        """Probe (or recall) the four batch commands for a map."""
        answers = {name: batch(fd, map_type, name, probe) for name in BATCH_COMMANDS}
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
