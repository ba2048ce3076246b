"""Event streams: records per second consumed from a ring buffer and from a perf buffer, against libbpf from C.

The same producer feeds both readers: an XDP program that sends the first 64 bytes of its packet,
run RECORDS times by BPF_PROG_TEST_RUN (``repeat``), on CPU 0. Then one read of them all is timed:
``ring_buffer__consume`` / ``perf_buffer__consume`` with a callback that touches each record
(``bench/cstreams.c``), and pybpfmaps' ``consume()`` (records as ``bytes``, or decoded as a 64-byte
attrs class) and ``consume_views()`` (zero-copy ``memoryview``s). Best of the repeats.

Run with ``make bench`` (or ``python bench/streams.py [--quick]``); it writes bench/streams.md,
which bench/run.py puts into docs/performance.md.
"""

from __future__ import annotations

import argparse
import array
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any

import attrs

from pybpfmaps import BpfProgram, PerfEventArrayMap, RecordBlock, RingBufMap, u64

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' producer programs
from tests.support import emitters  # noqa: E402

BUILD = ROOT / "bench" / ".build"
RECORD = 64
TARGET = 0.5  # of C's rate, for 64-byte records
TYPED = "consume() as a 64-byte attrs class"
COLUMN = "consume_block(), block.column('a')"
SUMMED = "consume_block(), sum(block.column('a'))"
PACKET = bytes(range(128))


@attrs.frozen
class Record:
    a: int = u64()
    b: int = u64()
    c: int = u64()
    d: int = u64()
    e: int = u64()
    f: int = u64()
    g: int = u64()
    h: int = u64()


def build() -> Path:
    binary, source = BUILD / "cstreams", ROOT / "bench" / "cstreams.c"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        BUILD.mkdir(exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-o", str(binary), str(source), "-lbpf"], check=True)
    return binary


def c_floor(binary: Path, kind: str, map_pin: Path, prog_pin: Path, records: int, repeats: int) -> float:
    args = [str(binary), kind, str(map_pin), str(prog_pin), str(records), str(repeats)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(out.split()[1])


def timed(fill: Callable[[], object], read: Callable[[], Sized], after: Callable[[], object], records: int,
          repeats: int) -> float:  # fmt: skip
    best = float("inf")
    for _ in range(repeats):
        fill()
        start = time.perf_counter()
        got = read()
        took = time.perf_counter() - start
        if len(got) != records:
            sys.exit(f"bench: {len(got)} records of {records} arrived")
        del got
        after()
        best = min(best, took)
    return 1e9 * best / records


def measure(kind: str, stream: Any, program: BpfProgram, records: int, repeats: int) -> dict[str, float]:
    def fill() -> None:
        program.test_run(PACKET, repeat=records)

    options = {"pages": 512} if kind == "perf" else {}  # 2 MiB a CPU, as the C reader has
    stream.open_reader(**options)
    results = {"consume() as bytes": timed(fill, stream.consume, stream.consume, records, repeats)}
    results["consume_views()"] = timed(fill, stream.consume_views, stream.consume, records, repeats)
    stream.open_reader(Record, **options)
    results[TYPED] = timed(fill, stream.consume, stream.consume, records, repeats)
    expected = int.from_bytes(PACKET[:8], "little") * records
    sums: list[int] = []

    def column() -> memoryview:
        return stream.consume_block().column("a")  # type: ignore[no-any-return]

    def summed() -> RecordBlock:
        block: RecordBlock = stream.consume_block()
        sums.append(sum(block.column("a")))
        return block

    results[COLUMN] = timed(fill, column, stream.consume, records, repeats)
    results[SUMMED] = timed(fill, summed, stream.consume, records, repeats)
    if set(sums) != {expected}:
        sys.exit(f"bench: the column sums {set(sums)} are not {expected}")
    return results


def summing_ns(records: int, repeats: int) -> float:
    """What summing the field's values in Python costs, per record, from a column already in memory."""
    values = memoryview(array.array("Q", [int.from_bytes(PACKET[:8], "little")]) * records)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sum(values)
        best = min(best, time.perf_counter() - start)
    return 1e9 * best / records


def construction_ns(records: int, repeats: int) -> float:
    """What building the attrs instances from tuples of their fields costs in Python, per record."""
    fields = [tuple(range(8))] * records
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        [Record(*each) for each in fields]
        best = min(best, time.perf_counter() - start)
    return 1e9 * best / records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer records and repeats")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/streams.md alone")
    args = parser.parse_args()
    records, repeats = (5_000, 3) if args.quick else (20_000, 7)
    binary = build()
    os.sched_setaffinity(0, {0})  # the producer runs here: every perf sample lands in CPU 0's buffer
    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="pbm-bench-") as pins:
        subprocess.run(["mount", "-t", "bpf", "bpf", pins], check=True)
        try:
            for kind in ("ringbuf", "perf"):
                if kind == "ringbuf":
                    stream: Any = RingBufMap.create(size=1 << 22)
                    program = BpfProgram.load(emitters.ringbuf_output(stream, RECORD))
                else:
                    stream = PerfEventArrayMap.create()
                    program = BpfProgram.load(emitters.perf_event_output(stream, RECORD))
                with stream, program:
                    map_pin, prog_pin = Path(pins) / f"{kind}_map", Path(pins) / f"{kind}_prog"
                    stream.pin(map_pin)
                    program.pin(prog_pin)
                    floor = c_floor(binary, kind, map_pin, prog_pin, records, repeats)
                    python = {TYPED: construction_ns(records, repeats), SUMMED: summing_ns(records, repeats)}
                    for name, ns in measure(kind, stream, program, records, repeats).items():
                        rows.append((kind, name, ns, floor + python.get(name, 0.0)))
                    stream.unpin()
        finally:
            subprocess.run(["umount", pins], check=True)
    lines = [
        f"Records of {RECORD} bytes, {records} a read, best of {repeats}; the floor is libbpf's "
        "`ring_buffer__consume` / `perf_buffer__consume` from C with a callback per record that reads",
        "its first 8-byte field. `consume_block()` hands over that field of every record as a column",
        "(every record's header checked, the column a view of the ring); where Python then does",
        "something with each record, the floor adds what that costs in Python without any reader:",
        "building attrs instances from tuples, or summing the values from a column in memory.",
        "",
        "| stream | pybpfmaps read | ns/record | C floor ns/record | records/s | share of C's rate |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for kind, name, ns, floor in rows:
        label = "ring buffer" if kind == "ringbuf" else "perf buffer"
        lines.append(f"| {label} | `{name}` | {ns:.0f} | {floor:.1f} | {1e9 / ns:,.0f} | {floor / ns:.0%} |")
    lines.append("")
    for kind, label in (("ringbuf", "ring buffer"), ("perf", "perf buffer")):
        shares = {name: floor / ns for k, name, ns, floor in rows if k == kind and name not in (TYPED, SUMMED)}
        best = max(shares, key=shares.__getitem__)
        verdict = "met" if shares[best] >= TARGET else "**missed**"
        objects = max(share for name, share in shares.items() if name not in (COLUMN, SUMMED))
        lines.append(
            f"Target: every record read at >= {TARGET:.0%} of C's rate, {label}: {shares[best]:.0%} with `{best}`, "
            f"{verdict}; {objects:.0%} with an object per record."
        )
    print("\n".join(lines))
    if not args.no_write:
        (ROOT / "bench" / "streams.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
