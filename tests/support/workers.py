"""Child processes for the concurrency tests: ``python -m tests.support.workers ROLE MAP_ID ...``.

writer MAP_ID START COUNT [GO_FILE]
                            insert keys START..START+COUNT-1 (value = key * 3), alternating
                            single writes and update_many chunks (once GO_FILE exists), then
                            print "done"
drainer MAP_ID STOP_FILE [READY_FILE]
                            create READY_FILE, drain() until STOP_FILE exists, then once more;
                            print what it drained as JSON {key: value}, with how many elements
                            it drained before STOP_FILE existed ("during")
churner MAP_ID SEED SECONDS insert and delete random keys for SECONDS
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from pybpfmaps import HashMap, u32, u64


def writer(m: HashMap[int, int], start: int, count: int, go: Path | None = None) -> None:
    while go is not None and not go.exists():
        time.sleep(0.001)
    key = start
    while key < start + count:
        m[key] = key * 3
        key += 1
        chunk = range(key, min(key + 97, start + count))
        m.update_many({k: k * 3 for k in chunk})
        key += len(chunk)
        time.sleep(0.0005)  # stretch the inserts over the drainers' lifetime
    print("done", flush=True)


def drainer(m: HashMap[int, int], stop_file: Path, ready: Path | None = None) -> None:
    drained: dict[int, int] = {}
    duplicates = during = 0
    if ready is not None:
        ready.touch()
    while True:
        stopping = stop_file.exists()
        for key, value in m.drain().items():
            duplicates += key in drained
            drained[key] = value
            during += not stopping
        if stopping:
            break
    print(json.dumps({"drained": drained, "duplicates": duplicates, "during": during}), flush=True)


def churner(m: HashMap[int, int], seed: int, seconds: float) -> None:
    rng = random.Random(seed)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        keys = [rng.randrange(20_000) for _ in range(50)]
        m.update_many({k: k for k in keys})
        m.delete_many(keys[:25], missing_ok=True)
    print("done", flush=True)


def main(argv: list[str]) -> None:
    role, map_id = argv[0], int(argv[1])
    with HashMap.from_id(map_id, key=u32, value=u64) as m:
        if role == "writer":
            writer(m, int(argv[2]), int(argv[3]), Path(argv[4]) if len(argv) > 4 else None)
        elif role == "drainer":
            drainer(m, Path(argv[2]), Path(argv[3]) if len(argv) > 3 else None)
        elif role == "churner":
            churner(m, int(argv[2]), float(argv[3]))
        else:
            raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
