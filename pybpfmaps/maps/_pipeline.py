"""A batch write in a helper thread, so that the kernel writes one chunk while Python makes the next.

For streamed input (an iterator or a generator) ``update_many`` pulls and encodes chunk N+1 while
chunk N's BPF_MAP_UPDATE_BATCH runs: ctypes releases the GIL for the syscall, so on two CPUs the
caller's generator and the encoding cost little more than the kernel's own work. Sized input is
never written this way: all of it is encoded before the first write, so nothing is left to overlap.

Only the syscall runs in the helper thread; the caller's code (its generator, the codecs) stays in
the calling thread. The calling thread takes and gives back the map's fd and keeps the account,
after the write is over (a Ctrl-C that arrives while it waits is raised once the account is exact).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pybpfmaps._sys.syscall import RawBpfError

Outcome = tuple[int, RawBpfError | None]
"""How many elements of the chunk took effect, and the failure that stopped it (if one did)."""


class InFlight:
    """One chunk's write, running in a helper thread from construction until ``outcome()``."""

    __slots__ = ("_result", "_thread")

    def __init__(self, write: Callable[[], Outcome]) -> None:
        self._result: Outcome | BaseException | None = None

        def run() -> None:
            try:
                self._result = write()
            except BaseException as exc:  # handed to the calling thread, which raises it
                self._result = exc

        self._thread = threading.Thread(target=run, name="pybpfmaps-batch-write", daemon=True)
        self._thread.start()

    def outcome(self) -> tuple[Outcome, bool]:
        """The write's outcome once it is over, and whether a KeyboardInterrupt came meanwhile
        (the caller accounts for the write, then raises it)."""
        interrupted = False
        while True:
            try:
                self._thread.join()
                break
            except KeyboardInterrupt:  # only where no deferring handler is installed
                interrupted = True
        result = self._result
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        return result, interrupted
