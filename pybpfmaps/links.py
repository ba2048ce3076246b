"""``BpfLink``: a program attached through a BPF link — to an interface (XDP, tcx), a tracepoint,
a kprobe, a raw tracepoint or the kernel function a tracing program was loaded for. The
attachment lasts while the link is open or pinned: ``close()`` (or the end of ``with``) ends it
unless the link is pinned; ``detach()`` ends it even then.

Tracepoints and kprobes go through a perf event; kernels before BPF_PERF_EVENT links (5.15) attach
the program to it by ``ioctl``, and the link object then holds the perf event instead of a link.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pybpfmaps._sys import commands, perf
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import BpfArgumentError, BpfError, from_raw
from pybpfmaps.features import NOT_SUPPORTED
from pybpfmaps.flags import AttachType

if TYPE_CHECKING:
    from typing_extensions import Self

TRACEFS = (Path("/sys/kernel/tracing"), Path("/sys/kernel/debug/tracing"))
KPROBE_PMU = Path("/sys/bus/event_source/devices/kprobe")
LINK_TYPES = {1: "raw_tracepoint", 2: "tracing", 3: "cgroup", 4: "iter", 5: "netns", 6: "xdp", 7: "perf_event",
              8: "kprobe_multi", 9: "struct_ops", 10: "netfilter", 11: "tcx", 12: "uprobe_multi",
              13: "netkit"}  # fmt: skip
"""``enum bpf_link_type``, in bpftool's spelling."""


class BpfLink:
    """One attachment of a program, held open by this object (and by its pin, if pinned)."""

    def __init__(self, fd: Fd, what: str, *, is_link: bool = True) -> None:
        """Take ownership of *fd* (a link, or a perf event with the program set on it)."""
        self._fd = fd
        self.what = what
        """What the program is attached to, as messages name it: ``"xdp on eth0"``."""
        self.is_link = is_link
        """``False``: a perf event holds the attachment (kernels before 5.15); it cannot be pinned."""
        self.pin_path: str | None = None

    @classmethod
    def from_pin(cls, path: str | os.PathLike[str]) -> Self:
        """Open a link pinned on a bpf filesystem."""
        text = os.fspath(path)
        try:
            fd = commands.obj_get(os.fsencode(text), 0)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=None, hint=f"path {text!r}") from None
        link = cls(Fd(fd, f"link pinned at {text!r}"), f"the link pinned at {text!r}")
        link.pin_path = text
        return link

    def fileno(self) -> int:
        return self._fd.fileno()

    def _info(self) -> tuple[int, int, int]:
        if not self.is_link:
            raise BpfArgumentError(f"{self.what}: a perf event holds this attachment, which is no BPF link")
        try:
            return commands.link_get_info(self.fileno())
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self.what) from None

    @property
    def id(self) -> int:
        """The link's id (``bpftool link show id N``)."""
        return self._info()[1]

    @property
    def program_id(self) -> int:
        return self._info()[2]

    @property
    def link_type(self) -> str:
        """The kind of link, in bpftool's spelling: ``"xdp"``, ``"perf_event"``, ``"tracing"``..."""
        number = self._info()[0]
        return LINK_TYPES.get(number, f"type {number}")

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the link, so the attachment outlives this process (until ``detach()`` or the pin's removal)."""
        if not self.is_link:
            raise BpfArgumentError(f"{self.what}: this kernel attaches it through a perf event, which cannot be pinned")
        text = os.fspath(path)
        try:
            commands.obj_pin(self.fileno(), os.fsencode(text))
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self.what, hint=f"path {text!r}") from None
        self.pin_path = text

    def unpin(self) -> None:
        """Remove the link's pin; the attachment then ends with the last fd of it."""
        if self.pin_path is None:
            raise BpfArgumentError(f"{self.what}: not pinned by or opened from a pin by this object")
        os.unlink(self.pin_path)
        self.pin_path = None

    def detach(self) -> None:
        """End the attachment now, pinned or not, and close this object (kernels before 5.9 cannot
        detach a pinned link: unpin it, then close)."""
        if self._fd.closed:
            return
        if self.is_link:
            try:
                commands.link_detach(self.fileno())
            except RawBpfError as exc:
                if exc.errno not in (errno.EINVAL, *NOT_SUPPORTED):
                    raise from_raw(exc, map_label=self.what) from None
        self.close()

    def close(self) -> None:
        """Release this object's fd; the attachment ends unless it is pinned. Safe to call twice."""
        self._fd.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._fd.closed:
            return f"<BpfLink {self.what} closed>"
        pinned = f" pinned at {self.pin_path!r}" if self.pin_path else ""
        kind = f" id={self.id}" if self.is_link else " (perf event)"
        return f"<BpfLink {self.what}{kind}{pinned}>"


def create(prog_fd: int, target: int, attach_type: AttachType, what: str, flags: int = 0) -> BpfLink:
    """A link of the program to *target* (an fd or interface index) at *attach_type*."""
    try:
        fd = commands.link_create(prog_fd, target, int(attach_type), flags)
    except RawBpfError as exc:
        raise from_raw(exc, map_label=what, hint=_hint(exc.errno, attach_type)) from None
    return BpfLink(Fd(fd, what), what)


def _hint(number: int | None, attach_type: AttachType) -> str | None:
    if number == errno.EINVAL:
        return f"this kernel has no {attach_type.name} links, or the program is not of a kind that attaches there"
    if number == errno.EEXIST:
        return "a program is attached there already"
    return None


def raw_tracepoint(prog_fd: int, name: str | None, what: str) -> BpfLink:
    """A raw tracepoint program on tracepoint *name*, or a tracing program on its load-time target (``None``)."""
    try:
        fd = commands.raw_tracepoint_open(prog_fd, name.encode() if name is not None else None)
    except RawBpfError as exc:
        raise from_raw(exc, map_label=what) from None
    return BpfLink(Fd(fd, what), what)


def tracepoint_id(category: str, name: str) -> int:
    """The id of tracepoint *category*/*name* in the tracing filesystem."""
    for root in TRACEFS:
        path = root / "events" / category / name / "id"
        try:
            return int(path.read_text())
        except FileNotFoundError:
            if (root / "events").is_dir():
                raise BpfArgumentError(f"no tracepoint {category}/{name} (see {root}/available_events)") from None
        except OSError as exc:
            raise BpfArgumentError(f"cannot read {path}: {exc.strerror}") from None
    raise BpfArgumentError("no tracing filesystem: mount -t tracefs nodev /sys/kernel/tracing")


def perf_event(prog_fd: int, event_type: int, config: int, what: str, function: str | None = None,
               offset: int = 0) -> BpfLink:  # fmt: skip
    """The program attached at a new perf event: through a BPF_PERF_EVENT link where the kernel has
    them, else by ``ioctl``."""
    try:
        perf_fd = perf.open_probe(event_type, config, function.encode() if function is not None else None, offset)
    except OSError as exc:
        hint = f"no kernel function {function!r} to probe" if function and exc.errno == errno.ENOENT else exc.strerror
        raise BpfError(exc.errno or 0, f"{what}: perf_event_open failed: {hint}") from None
    try:
        fd = commands.link_create(prog_fd, perf_fd, int(AttachType.PERF_EVENT))
    except RawBpfError as exc:
        if exc.errno not in (errno.EINVAL, *NOT_SUPPORTED):
            os.close(perf_fd)
            raise from_raw(exc, map_label=what) from None
    else:
        os.close(perf_fd)  # the link holds the event
        return BpfLink(Fd(fd, what), what)
    try:
        perf.set_bpf(perf_fd, prog_fd)
    except OSError as exc:
        os.close(perf_fd)
        raise BpfError(exc.errno or 0, f"{what}: attaching to the perf event failed: {exc.strerror}") from None
    return BpfLink(Fd(perf_fd, what), what, is_link=False)


def kprobe_type() -> tuple[int, int]:
    """The kprobe PMU's perf event type, and the config bit that makes a probe a return probe."""
    try:
        pmu = int((KPROBE_PMU / "type").read_text())
        bit = int((KPROBE_PMU / "format" / "retprobe").read_text().strip().partition(":")[2])
    except (OSError, ValueError) as exc:
        raise BpfArgumentError(f"this kernel has no kprobe PMU ({KPROBE_PMU}): {exc}") from None
    return pmu, 1 << bit
