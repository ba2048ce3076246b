"""What a program attached without a link is held by: ``Attachment`` (a cgroup or a map,
``BPF_PROG_ATTACH``), ``XdpAttachment`` and ``TcAttachment`` (an interface, through netlink). Each
``detach()``es once, and ends with a ``with`` block."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs

from pybpfmaps import _netlink
from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import from_raw
from pybpfmaps.flags import AttachType

if TYPE_CHECKING:
    from typing_extensions import Self


class _Detaches:
    """``with`` ends in ``detach()``."""

    def detach(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.detach()


@attrs.define
class Attachment(_Detaches):
    """A program attached to a cgroup or a map; ``detach()`` removes it (and closes the fds it keeps)."""

    target_fd: int
    prog_fd: int
    attach_type: AttachType
    target: str
    """What it is attached to: ``"cgroup"`` or ``"map"``."""
    attached: bool = True

    def detach(self) -> None:
        """Remove the program from its cgroup or map; safe to call twice."""
        if self.attached:
            try:
                commands.prog_detach(self.target_fd, self.prog_fd, int(self.attach_type))
            except RawBpfError as exc:
                raise from_raw(exc, map_label=f"{self.target} attachment ({self.attach_type.name})") from None
            finally:
                os.close(self.target_fd)
                os.close(self.prog_fd)
                self.attached = False


@attrs.define
class XdpAttachment(_Detaches):
    """An XDP program attached to an interface; ``detach()`` removes it."""

    index: int
    mode: str
    netns: str | None = None
    attached: bool = True

    def detach(self) -> None:
        """Remove the program from the interface; safe to call twice."""
        if self.attached:
            _netlink.detach_xdp(self.index, self.mode, self.netns)
            self.attached = False


@attrs.define
class TcAttachment(_Detaches):
    """A tc program attached to an interface as a ``bpf`` filter; ``detach()`` removes the filter."""

    index: int
    direction: str
    priority: int
    netns: str | None = None
    attached: bool = True

    def detach(self) -> None:
        """Remove the filter (the ``clsact`` qdisc stays); safe to call twice."""
        if self.attached:
            _netlink.detach_tc(self.index, self.direction, self.priority, self.netns)
            self.attached = False
