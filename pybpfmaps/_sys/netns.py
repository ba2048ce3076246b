"""``call_in(path, fn)``: run *fn* in another network namespace, on a thread of its own (``setns(2)``
moves only the calling thread), so that an interface index there means that namespace's interface."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def call_in(path: str, fn: Callable[[], T]) -> T:
    """*fn*'s result, called in the network namespace at *path* (``/run/netns/NAME``); its exception, raised here."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({path!r}): {os.strerror(err)}")
            finally:
                os.close(fd)
            outcome.append(fn())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="pybpfmaps-netns")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
