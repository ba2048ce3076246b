"""Pinning a map on a bpf filesystem and removing the pin, with errors that say what is in the way."""

from __future__ import annotations

import errno
import os

from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import BpfArgumentError, from_raw
from pybpfmaps.maps import _pins, _validate
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps.info import pinned_map_id


def pin(h: MapHandle, path: str | os.PathLike[str]) -> str:
    """Pin the map at *path*; returns the path as text."""
    text = _validate.pin_path(path)
    try:
        h.call(commands.obj_pin, os.fsencode(text))
    except RawBpfError as exc:
        hints = {errno.ENOENT: f"the directory of {text!r} does not exist"}
        if exc.errno == errno.EEXIST:
            try:
                pinned_id = pinned_map_id(text)
            except RawBpfError:  # not a pin, or one we may not open
                pinned_id = None
            hints[errno.EEXIST] = _pins.already_there(text, pinned_id, h.info.id)
        if exc.errno in (errno.EPERM, errno.EACCES):
            hints[exc.errno] = _pins.pin_refused(text, exc.errno, exc.command)
        raise h.error(exc, hint=hints.get(exc.errno or 0, f"path {text!r}")) from None
    return text


def unpin(h: MapHandle, path: str | None) -> None:
    """Remove the pin at *path* after checking it still names this map; through symbolic links,
    the pin itself, not the links."""
    if path is None:
        raise BpfArgumentError(f"{h.label} was not pinned or opened from a pin by this object")
    h.live_fd()
    target = os.path.realpath(path)
    try:
        pinned_id = pinned_map_id(target)
    except RawBpfError as exc:
        raise from_raw(exc, map_label=h.label, hint=f"nothing pinned at {path!r} any more") from None
    if pinned_id != h.info.id:
        raise BpfArgumentError(f"{path!r} now pins another map than {h.label}; left in place")
    os.unlink(target)


def freeze(h: MapHandle) -> None:
    """Forbid further writes from user space; freezing a frozen map does nothing.

    The kernel refuses to freeze a frozen map (EPERM on 6.18, EBUSY on 6.1:
    docs/kernel-notes.md#kernel-differences), so the map's state is read first, and read again
    when the kernel refuses: another process may have frozen it in between.
    """
    h.live_fd()
    if h.fd_state()[1]:
        return
    try:
        h.call(commands.map_freeze)
    except RawBpfError as exc:
        if exc.errno in (errno.EPERM, errno.EBUSY) and h.fd_state()[1]:
            return
        raise h.error(exc, writing=True) from None
