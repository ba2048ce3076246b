"""Other BPF software on the machine while the suite runs: ``python -m tests.support.churn -- COMMAND...``.

Runs COMMAND (the test suite) while, in the background, one process keeps creating, pinning and
removing maps that pybpfmaps did not make (the clang-built tests/bpf/awkward.bpf.c loaded by
bpftool: a spin lock first, bitfields, unions, global data; queue, stack, bloom filter and ring
buffer maps, which have no class; a map whose BTF holds a ``long double``, which has no Python
type), and another keeps a CPU busy. Exits with COMMAND's exit code, after saying how much churn
there was, so a passing run proves the suite is hermetic.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[2]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", choices=["maps", "cpu"], help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs="*")
    args = parser.parse_args(argv)
    if args.worker == "maps":
        return churn_maps(args.seconds)
    if args.worker == "cpu":
        return burn_cpu()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.churn", "--worker", name], cwd=ROOT, start_new_session=True
        )
        for name in ("maps", "cpu")
    ]
    try:
        return subprocess.run(args.command, check=False).returncode
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)


def burn_cpu() -> int:
    os.nice(10)  # busy, but behind the suite itself
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        pass


def churn_maps(seconds: float) -> int:
    """Create and remove other programs' maps until SIGTERM (or *seconds*); report the count on the way out."""
    from tests.support import awkward_maps

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    mount = Path(tempfile.mkdtemp(prefix="pybpfmaps-churn-"))
    subprocess.run(["mount", "-t", "bpf", "bpf", str(mount)], check=True)
    built = Path(tempfile.mkdtemp(prefix="pybpfmaps-churn-obj-"))
    obj = awkward_maps.build(built)
    started, rounds, made = time.monotonic(), 0, 0
    live: list[Path] = []
    try:
        while not stopping and (not seconds or time.monotonic() - started < seconds):
            where = mount / f"round{rounds}"
            where.mkdir()
            made += awkward_maps.make_all(obj, where)
            live.append(where)
            if len(live) > 3:  # maps vanish while others list them
                shutil.rmtree(live.pop(0))
            rounds += 1
            time.sleep(0.2)
    finally:
        for where in live:
            shutil.rmtree(where, ignore_errors=True)
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(built, ignore_errors=True)
        mount.rmdir()
        print(f"churn: {rounds} rounds, {made} maps of other programs created, pinned and removed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
