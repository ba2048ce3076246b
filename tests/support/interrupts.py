"""A child process for the Ctrl-C tests: a bulk operation, SIGINT at a chosen moment, and what the kernel holds.

``python -m tests.support.interrupts OPERATION DELAY`` fills or empties a map, sends itself SIGINT after
DELAY seconds from a helper thread (as a terminal's Ctrl-C arrives: asynchronously, to the main
thread), and prints one JSON line: where the signal landed (``phase``: ``during`` the operation,
which then raised BatchInterrupted; ``after`` it had returned; ``before`` it had started its
work, as a plain KeyboardInterrupt), what the exception reported and what the map holds, read by
a second fd. The inputs are made before the timer starts. Run in a child so that the test's own
process never sees the signal.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any

from pybpfmaps import BatchInterrupted, BpfMap, HashMap, UpdateFlags, u32, u64

N = 2_000_000
"""Elements with batch commands; a fifth of that where they are missing (per element is slower)."""


def interrupt_after(delay: float) -> None:
    def send() -> None:
        time.sleep(delay)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=send, daemon=True).start()


def main(operation: str, delay: float) -> dict[str, Any]:
    m = HashMap.create(key=u32, value=u64, max_entries=N, name="interrupted")
    n = N if m.batch_support.update else N // 5
    reader = BpfMap.from_id(m.id, key=u32, value=u64)
    report: dict[str, Any] = {"phase": "before", "n": n, "applied": 0, "removed_ok": True}
    try:
        if operation == "drain":
            m.update_many(range(n), range(n))
        keys, values = range(n), [k * 2 for k in range(n)]
        pairs = ((k, k * 2) for k in range(n))
        interrupt_after(delay)
        try:
            if operation == "update_many":
                m.update_many(keys, values)
            elif operation == "update_many_each":
                m.update_many(pairs, flags=UpdateFlags.NOEXIST)
            elif operation == "drain":
                report["removed"] = sorted(m.drain())
            report["phase"] = "after"
            time.sleep(30)  # the signal comes after the operation: wait for it
        except BatchInterrupted as exc:
            report["phase"] = "during"
            report["applied"] = exc.applied
            removed = exc.removed or {}
            report["removed_ok"] = all(value == key for key, value in removed.items())
            report["removed"] = sorted(removed)
        except KeyboardInterrupt:
            if report["phase"] == "after" and operation != "drain":
                report["applied"] = n
        held = reader.copy()
        report["held"] = len(held)
        report["held_ok"] = all(value == key * (1 if operation == "drain" else 2) for key, value in held.items())
        if operation != "drain":
            report["held_prefix"] = sorted(held) == list(range(len(held)))
        else:
            report["applied"] = len(report.get("removed", []))
            report["all_accounted"] = sorted([*held, *report.get("removed", [])]) == list(range(n))
            report.pop("removed", None)
    finally:
        reader.close()
        m.close()
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]))))
