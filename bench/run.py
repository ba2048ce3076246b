"""``make bench``: pybpfmaps against the C floor (libbpf) and against its own per-element path, in one run.

For each shape (u32 -> u64, and a 16-byte attrs flow key -> 32-byte attrs value), map type (hash,
LRU hash, array) and size, it measures on fresh maps, best of a few runs:

* the C floor: ``bench/cfloor.c`` calling the system libbpf's ``bpf_map_update_batch``,
  ``bpf_map_update_elem`` and ``bpf_map_lookup_batch`` on the same sizes;
* pybpfmaps: ``update_many`` (batch path), the same call forced onto the per-element path, a plain
  ``for k, v in ...: m[k] = v`` loop, ``update_many`` of prebuilt ``array.array``s, and the
  read-backs ``m.copy()``, ``dict(m.items())`` and ``dict(m)``;
* the peak memory of streaming a generator through ``update_many``.

It prints one table and writes it, with the targets, to docs/performance.md.
"""

from __future__ import annotations

import argparse
import array
import gc
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import attrs
from layouts import Flow, Stats

from pybpfmaps import ArrayMap, BpfMap, HashMap, LruHashMap, codec_for, u32, u64

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "bench" / ".build"
CLASSES: dict[str, type[BpfMap[Any, Any]]] = {"hash": HashMap, "lru_hash": LruHashMap, "array": ArrayMap}


@attrs.frozen
class Case:
    shape: str
    map_type: str
    n: int
    key: Any
    value: Any

    @property
    def sizes(self) -> tuple[int, int]:
        return codec_for(self.key).size, codec_for(self.value).size


@attrs.frozen
class Row:
    case: Case
    operation: str
    ns: float
    floor: float | None  # the C floor this operation compares with (ns per element)
    per_element: float | None  # pybpfmaps' per-element path for the same case


# -- the C floor -----------------------------------------------------------------------------------


def build_cfloor() -> Path:
    """Compile bench/cfloor.c against the system libbpf, installing libbpf-dev if it is missing."""
    binary = BUILD / "cfloor"
    source = ROOT / "bench" / "cfloor.c"
    if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
        return binary
    BUILD.mkdir(exist_ok=True)
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        sys.exit("bench: no C compiler; install one (Debian: apt-get install gcc)")
    if not Path("/usr/include/bpf/bpf.h").exists():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("bench: installing libbpf-dev for the C floor", file=sys.stderr)
            subprocess.run(["apt-get", "install", "-y", "-qq", "libbpf-dev"], check=True, stdout=subprocess.DEVNULL)
        else:
            sys.exit("bench: the C floor needs libbpf's headers: apt-get install libbpf-dev (as root)")
    subprocess.run([compiler, "-O2", "-Wall", "-o", str(binary), str(source), "-lbpf"], check=True)
    return binary


def c_floor(binary: Path, case: Case, repeats: int) -> dict[str, float]:
    key_size, value_size = case.sizes
    args = [str(binary), case.map_type, str(case.n), str(key_size), str(value_size), str(repeats)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return {name: float(ns) for name, ns in (line.split() for line in out.splitlines())}


# -- pybpfmaps ------------------------------------------------------------------------------------


def make_data(case: Case) -> dict[Any, Any]:
    if case.key is u32:
        keys: list[Any] = list(range(case.n))
    else:
        server = IPv4Address("192.168.0.1")
        keys = [Flow(IPv4Address(0x0A000000 + i), server, i & 0xFFFF, 443, 6) for i in range(case.n)]
    if case.value is u64:
        return dict(zip(keys, range(case.n), strict=True))
    return {key: Stats(i, i * 1500, i, i + 1) for i, key in enumerate(keys)}


def timed(repeats: int, prepare: Callable[[], Any], run: Callable[[Any], object], n: int) -> float:
    """Best ns per element of *run* over *repeats*, each on what *prepare* made (closed afterwards)."""
    best = float("inf")
    for _ in range(repeats):
        subject = prepare()
        try:
            gc.collect()
            start = time.perf_counter()
            run(subject)
            best = min(best, time.perf_counter() - start)
        finally:
            if isinstance(subject, BpfMap):
                subject.close()
    return best * 1e9 / n


def measure(case: Case, floor: dict[str, float], repeats: int, slow_repeats: int) -> list[Row]:
    cls = CLASSES[case.map_type]
    data = make_data(case)
    n = case.n

    def fresh() -> BpfMap[Any, Any]:
        if cls is ArrayMap:
            return ArrayMap.create(value=case.value, max_entries=n)
        return cls.create(key=case.key, value=case.value, max_entries=n)

    def fresh_per_element() -> BpfMap[Any, Any]:
        m = fresh()
        m._handle.use_batch = False  # the fallback, as on Linux < 5.6
        return m

    def full() -> BpfMap[Any, Any]:
        m = fresh()
        m.update_many(data)
        return m

    def loop(m: BpfMap[Any, Any]) -> None:
        for key, value in data.items():
            m[key] = value

    per_element = timed(slow_repeats, fresh_per_element, lambda m: m.update_many(data), n)
    batch_floor, elem_floor, lookup_floor = floor["update_batch"], floor["update_elem"], floor["lookup_batch"]
    rows = [
        Row(
            case, "update_many(dict)", timed(repeats, fresh, lambda m: m.update_many(data), n), batch_floor, per_element
        ),
        Row(case, "update_many, per-element path", per_element, elem_floor, None),
        Row(case, "for k, v in ...: m[k] = v", timed(slow_repeats, fresh, loop, n), elem_floor, None),
    ]
    if case.key is u32 and case.value is u64:
        keys, values = array.array("I", data), array.array("Q", data.values())
        arrays = timed(repeats, fresh, lambda m: m.update_many(keys, values), n)
        rows.append(Row(case, "update_many(array.array, array.array)", arrays, batch_floor, per_element))
    rows += [
        Row(case, "m.copy()", timed(repeats, full, lambda m: m.copy(), n), lookup_floor, None),
        Row(case, "dict(m.items())", timed(repeats, full, lambda m: dict(m.items()), n), lookup_floor, None),
        Row(case, "dict(m)", timed(slow_repeats, full, dict, n), lookup_floor, None),
    ]
    return rows


STREAM = """
import sys
from pybpfmaps import ArrayMap, u64

def rss(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

n = int(sys.argv[1])
with ArrayMap.create(value=u64, max_entries=n) as m:
    before = rss("VmRSS")
    written = m.update_many((i, i) for i in range(n))
    assert written == n and m[n - 1] == n - 1
    print((rss("VmHWM") - before) / 1024)
"""


def streaming_peak_mb(n: int) -> float:
    """Peak RSS growth (MiB) of streaming an n-item generator through update_many, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", STREAM, str(n)], check=True, capture_output=True, text=True, env=env)
    return float(out.stdout)


# -- report ---------------------------------------------------------------------------------------


def cases(sizes: list[int]) -> list[Case]:
    result = []
    for n in sizes:
        for map_type in CLASSES:
            result.append(Case("u32 -> u64", map_type, n, u32, u64))
            key = u32 if map_type == "array" else Flow
            result.append(Case(f"{'u32' if key is u32 else 'Flow(16)'} -> Stats(32)", map_type, n, key, Stats))
    return result


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| shape | map | N | operation | ns/elem | × C floor | C floor (ns/elem) | speed-up over per-element |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        c = row.case
        ratio = f"{row.ns / row.floor:.2f}" if row.floor else ""
        floor = f"{row.floor:.0f}" if row.floor else ""
        speedup = f"{row.per_element / row.ns:.1f}×" if row.per_element else ""
        lines.append(
            f"| {c.shape} | {c.map_type} | {c.n:,} | {row.operation} | {row.ns:.0f} | {ratio} | {floor} | {speedup} |"
        )
    return lines


def targets(rows: list[Row], stream_n: int, stream_mb: float) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the project, at the largest size measured."""
    largest = max(r.case.n for r in rows)
    by_key = {(r.case.shape, r.case.map_type, r.case.n, r.operation): r for r in rows}
    results: list[tuple[str, str, bool]] = []

    def against_floor(label: str, shape: str, map_type: str, operation: str, limit: float) -> None:
        row = by_key[(shape, map_type, largest, operation)]
        ratio = row.ns / (row.floor or float("nan"))
        results.append((f"{label}, {map_type}, {largest:,}: ≤ {limit}× C floor", f"{ratio:.2f}×", ratio <= limit))

    for map_type in CLASSES:
        against_floor("update_many u32→u64", "u32 -> u64", map_type, "update_many(dict)", 1.3)
    for map_type in CLASSES:
        shape = "u32 -> Stats(32)" if map_type == "array" else "Flow(16) -> Stats(32)"
        against_floor(f"update_many {shape}", shape, map_type, "update_many(dict)", 2.0)
    for operation in ("m.copy()", "dict(m.items())", "dict(m)"):
        against_floor(f"read-back {operation} u32→u64", "u32 -> u64", "hash", operation, 1.5)
    for row in rows:
        if row.operation == "update_many(dict)" and row.per_element and row.case.n >= 100_000:
            speedup = row.per_element / row.ns
            label = f"update_many ≥ 3× the per-element path: {row.case.shape}, {row.case.map_type}, {row.case.n:,}"
            results.append((label, f"{speedup:.1f}×", speedup >= 3))
    label = f"streaming {stream_n:,} pairs from a generator: peak memory growth ≤ 100 MB"
    results.append((label, f"{stream_mb:.0f} MiB", stream_mb <= 100))
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())  # fmt: skip
    return f"Linux {platform.release()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k elements, one run each: a smoke test in seconds")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    sizes, repeats, slow_repeats, stream_n = (
        ([10_000], 1, 1, 1_000_000) if args.quick else ([10_000, 100_000, 1_000_000], 3, 1, 10_000_000)
    )
    binary = build_cfloor()
    rows: list[Row] = []
    for case in cases(sizes):
        floor = c_floor(binary, case, repeats)
        rows += measure(case, floor, repeats, slow_repeats)
        print(f"measured {case.shape}, {case.map_type}, {case.n:,}", file=sys.stderr)
    stream_mb = streaming_peak_mb(stream_n)
    lines = table(rows)
    checks = targets(rows, stream_n, stream_mb)
    print("\n".join(lines))
    print()
    for target, measured, met in checks:
        print(f"{'met ' if met else 'MISS'}  {target}: {measured}")
    if not args.no_write:
        write_report(lines, checks, args.quick)


def write_report(lines: list[str], checks: list[tuple[str, str, bool]], quick: bool) -> None:
    report = ROOT / "docs" / "performance.md"
    misses = [target for target, _, met in checks if not met]
    text = [
        "# Performance",
        "",
        "Measured by `make bench` (`python bench/run.py`), which writes this page. Every figure below",
        "comes from one run on one machine, so the ratios compare like with like: pybpfmaps against the",
        "system libbpf called from C (`bench/cfloor.c`) on maps of the same type and sizes, and against",
        "pybpfmaps' own per-element path (what runs on kernels without batch commands).",
        "",
        f"Machine: {machine()}; {time.strftime('%Y-%m-%d')}{' (quick run)' if quick else ''}.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
        *[f"| {target} | {measured} | {'yes' if met else '**no**'} |" for target, measured, met in checks],
        "",
        "Where a target is missed: " + ("none." if not misses else "see the notes below."),
        "",
        "## All figures",
        "",
        "ns/elem is wall time per element, best of the runs. The C floor is `bpf_map_update_batch` for",
        "`update_many`, `bpf_map_update_elem` for the per-element rows, `bpf_map_lookup_batch` for reads.",
        "",
        *lines,
        "",
    ]
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        text += ["## Notes", "", notes.read_text().strip(), ""]
    report.write_text("\n".join(text))
    print(f"wrote {report.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
