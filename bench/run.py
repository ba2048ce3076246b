"""``make bench``: pybpfmaps against the C floor (libbpf) and against its own per-element path, in one run.

For each shape (u32 -> u64, and a 16-byte attrs flow key -> 32-byte attrs value), map type (hash,
LRU hash, array) and size, it measures on fresh maps, best of a few runs:

* the C floor: ``bench/cfloor.c`` calling the system libbpf's ``bpf_map_update_batch``,
  ``bpf_map_update_elem``, ``bpf_map_lookup_batch`` and ``bpf_map_lookup_elem`` on the same sizes;
  for reads that return attrs instances, plus what building those instances from tuples of
  their fields costs in Python (measured here): no Python reader can return them for less;
* pybpfmaps: ``update_many`` of every input shape users write (dict, two sequences, arrays,
  ``d.items()``, a list of pairs, ``zip``, a generator, a ``Mapping``), the per-element path, a
  plain ``for k, v in ...: m[k] = v`` loop, and the reads ``m.copy()``, ``dict(m.items())``,
  ``list(m)``, ``sum(m.values())``, ``dict(m)`` and ``m.lookup_many(keys)``;
* scaling: hash u32 -> u64 from 10k to 10M elements;
* the peak memory of streaming a generator through ``update_many`` and of ``pop_many(20M)``;
* the command line: ``pybpfmaps dump`` (table, ``--json``) and ``load`` of 1M entries, beside
  ``bpftool map dump`` and ``bpftool -j map dump`` of the same map: time, first line, peak memory.

It prints one table and writes it, with the targets, to docs/performance.md, followed by the
event stream figures of bench/streams.py (bench/streams.md).
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
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
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


class PlainMapping(Mapping[Any, Any]):
    """A Mapping that is not a dict, as users write them (``__getitem__`` in Python)."""

    def __init__(self, data: dict[Any, Any]) -> None:
        self.data = data

    def __getitem__(self, key: Any) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def write_shapes(data: dict[Any, Any]) -> dict[str, Callable[[BpfMap[Any, Any]], object]]:
    """Every way users hand update_many the same u32 -> u64 elements (value == key)."""
    keys, values = list(data), list(data.values())
    pairs = list(data.items())
    key_array, value_array = array.array("I", keys), array.array("Q", values)
    n = len(keys)
    return {
        "update_many(dict)": lambda m: m.update_many(data),
        "update_many(keys, values)": lambda m: m.update_many(keys, values),
        "update_many(array.array, array.array)": lambda m: m.update_many(key_array, value_array),
        "update_many(d.items())": lambda m: m.update_many(data.items()),
        "update_many(list of pairs)": lambda m: m.update_many(pairs),
        "update_many(zip(keys, values))": lambda m: m.update_many(zip(keys, values, strict=True)),
        "update_many((k, k) for k in ...)": lambda m: m.update_many((k, k) for k in range(n)),
        "update_many(Mapping)": lambda m: m.update_many(PlainMapping(data)),
    }


def instances_ns(data: dict[Any, Any], repeats: int, keys: bool, values: bool) -> float:
    """ns per element of building the attrs instances a read returns, from tuples of their fields:
    what any Python reader pays on top of the kernel's copy (0 for plain ints)."""
    total = 0.0
    for wanted, objects in ((keys, list(data)), (values, list(data.values()))):
        if not wanted or not attrs.has(type(objects[0])):
            continue
        fields = [attrs.astuple(obj, recurse=False) for obj in objects]
        total += timed(repeats, lambda: None, partial(construct, type(objects[0]), fields), len(fields))
    return total


def construct(cls: type[Any], fields: list[tuple[Any, ...]], _: object) -> list[Any]:
    return [cls(*f) for f in fields]


def values_row(case: Case, ns: float, floor: float) -> Row:
    """The read of every value: summed where they are ints, listed where they are instances."""
    return Row(case, "sum(m.values())" if case.value is u64 else "list(m.values())", ns, floor, None)


def measure(case: Case, floor: dict[str, float], repeats: int, slow_repeats: int, scaling_only: bool) -> list[Row]:
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

    batch_floor, elem_floor = floor["update_batch"], floor["update_elem"]
    lookup_floor, lookup_elem_floor = floor["lookup_batch"], floor["lookup_elem"]
    with_keys = lookup_floor + instances_ns(data, repeats, keys=True, values=False)
    with_values = lookup_floor + instances_ns(data, repeats, keys=False, values=True)
    with_both = with_keys + with_values - lookup_floor
    if scaling_only:
        return [
            Row(case, "update_many(dict)", timed(repeats, fresh, lambda m: m.update_many(data), n), batch_floor, None),
            Row(case, "m.copy()", timed(repeats, full, lambda m: m.copy(), n), with_both, None),
        ]
    per_element = timed(slow_repeats, fresh_per_element, lambda m: m.update_many(data), n)
    rows = [
        Row(
            case, "update_many(dict)", timed(repeats, fresh, lambda m: m.update_many(data), n), batch_floor, per_element
        )
    ]
    if case.key is u32 and case.value is u64:
        for operation, write in list(write_shapes(data).items())[1:]:
            rows.append(Row(case, operation, timed(repeats, fresh, write, n), batch_floor, None))
    rows += [
        Row(case, "update_many, per-element path", per_element, elem_floor, None),
        Row(case, "for k, v in ...: m[k] = v", timed(slow_repeats, fresh, loop, n), elem_floor, None),
        Row(case, "m.copy()", timed(repeats, full, lambda m: m.copy(), n), with_both, None),
        Row(case, "dict(m.items())", timed(repeats, full, lambda m: dict(m.items()), n), with_both, None),
        Row(case, "list(m)", timed(repeats, full, list, n), with_keys, None),
        values_row(
            case,
            timed(repeats, full, lambda m: sum(m.values()) if case.value is u64 else list(m.values()), n),
            with_values,
        ),
        Row(case, "dict(m)", timed(slow_repeats, full, dict, n), with_both, None),
        Row(case, "m.columns()", timed(repeats, full, lambda m: m.columns(), n), lookup_floor, None),
    ]
    keys = list(data)
    lookups = timed(slow_repeats, full, lambda m: m.lookup_many(keys), n)
    rows.append(Row(case, "m.lookup_many(keys)", lookups, lookup_elem_floor + (with_values - lookup_floor), None))
    return rows


MEMORY = """
import sys
from pybpfmaps import ArrayMap, HashMap, u32, u64

def rss(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

what, n = sys.argv[1], int(sys.argv[2])
if what == "stream":
    with ArrayMap.create(value=u64, max_entries=n) as m:
        before = rss("VmRSS")
        written = m.update_many((i, i) for i in range(n))
        assert written == n and m[n - 1] == n - 1
else:  # pop_many(n) of a 4-element map
    with HashMap.create(key=u32, value=u64, max_entries=4) as m:
        m.update_many({k: k for k in range(4)})
        before = rss("VmRSS")
        assert len(m.pop_many(n)) == 4
print((rss("VmHWM") - before) / 1024)
"""


def peak_mb(what: str, n: int) -> float:
    """Peak RSS growth (MiB), in a fresh process, of streaming an n-item generator through update_many
    (``stream``) or of ``pop_many(n)`` on a 4-element map (``pop_many``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", MEMORY, what, str(n)]
    return float(subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout)


# -- the command line, beside bpftool ------------------------------------------------------------


@attrs.frozen
class CliRun:
    label: str
    seconds: float
    first_line: float | None  # seconds to the first line of output
    peak_mb: float


def run_command(label: str, command: list[str], read_first_line: bool = True) -> CliRun:
    """Run *command*, reading its stdout; its time, time to the first line and peak RSS (MiB).

    The peak is the command's own ``VmHWM``, sampled while it runs: the rusage of a child counts the
    memory of the (large) benchmark process it was forked from."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    peak = [0.0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_peak, args=(process.pid, peak, done), daemon=True)
    sampler.start()
    first = None
    if read_first_line:
        process.stdout.readline()
        first = time.perf_counter() - start
    while process.stdout.read(1 << 20):
        pass
    returncode = process.wait()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed with {returncode}")
    return CliRun(label, seconds, first, peak[0])


def _sample_peak(pid: int, peak: list[float], done: threading.Event) -> None:
    """The largest ``VmHWM`` of process *pid* (which ``Popen`` returned once it had exec'd), every
    5 ms until *done*."""
    status = Path(f"/proc/{pid}/status")
    while not done.wait(0.005):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            return
        for line in lines:
            if line.startswith("VmHWM:"):
                peak[0] = max(peak[0], int(line.split()[1]) / 1024)


def cli_runs(n: int) -> list[CliRun]:
    """``pybpfmaps dump`` (table and JSON) and ``load`` of an n-element map, and bpftool's dumps of it."""
    cli = [sys.executable, "-m", "pybpfmaps"]
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    with HashMap.create(key=u32, value=u64, max_entries=n, name="bench_cli") as m:
        m.update_many({k: k for k in range(n)})
        ident = str(m.id)
        runs = [
            run_command("bpftool map dump", [bpftool, "map", "dump", "id", ident]),
            run_command("bpftool -j map dump", [bpftool, "-j", "map", "dump", "id", ident]),
            run_command("pybpfmaps dump", [*cli, "dump", ident]),
            run_command("pybpfmaps dump --json", [*cli, "dump", ident, "--json"]),
        ]
        BUILD.mkdir(exist_ok=True)
        lines = BUILD / "load.jsonl"
        lines.write_text("".join(f"[{k}, {k * 3}]\n" for k in range(n)))
        m.clear()
        runs.append(run_command("pybpfmaps load", [*cli, "load", ident, str(lines)], read_first_line=False))
        if len(m) != n or m[n - 1] != 3 * (n - 1):
            sys.exit("bench: pybpfmaps load did not write what the file holds")
        lines.unlink()
    return runs


def cli_lines(runs: list[CliRun]) -> list[str]:
    lines = ["| command | seconds | first line (s) | peak memory (MiB) |", "|---|---:|---:|---:|"]
    for run in runs:
        first = f"{run.first_line:.2f}" if run.first_line is not None else ""
        lines.append(f"| {run.label} | {run.seconds:.2f} | {first} | {run.peak_mb:.0f} |")
    return lines


def cli_targets(runs: list[CliRun], n: int) -> list[tuple[str, str, bool]]:
    by_label = {run.label: run for run in runs}
    results = []
    for ours, theirs in (
        ("pybpfmaps dump", "bpftool map dump"),
        ("pybpfmaps dump --json", "bpftool -j map dump"),
        ("pybpfmaps load", "bpftool map dump"),
    ):
        mine, other = by_label[ours], by_label[theirs]
        label = f"{ours} of {n:,} entries no slower than {theirs}"
        results.append((label, f"{mine.seconds:.2f} s vs {other.seconds:.2f} s", mine.seconds <= other.seconds))
    for label in ("pybpfmaps dump", "pybpfmaps dump --json"):
        first = by_label[label].first_line or 0.0
        results.append((f"{label}: first line within 0.5 s", f"{first:.2f} s", first <= 0.5))
    for label in ("pybpfmaps dump", "pybpfmaps dump --json", "pybpfmaps load"):
        peak = by_label[label].peak_mb
        results.append((f"{label} of {n:,} entries: peak memory ≤ 100 MB", f"{peak:.0f} MiB", peak <= 100))
    return results


# -- report ---------------------------------------------------------------------------------------


def cases(sizes: list[int], scaling: list[int]) -> list[tuple[Case, bool]]:
    """Every case, and whether only its scaling rows are measured."""
    result = []
    for n in sizes:
        for map_type in CLASSES:
            result.append((Case("u32 -> u64", map_type, n, u32, u64), False))
            key = u32 if map_type == "array" else Flow
            result.append((Case(f"{'u32' if key is u32 else 'Flow(16)'} -> Stats(32)", map_type, n, key, Stats), False))
    result += [(Case("u32 -> u64", "hash", n, u32, u64), True) for n in scaling]
    return result


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| shape | map | N | operation | ns/elem | × floor | floor (ns/elem) | speed-up over per-element |",
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


Check = tuple[str, str, bool]


def targets(rows: list[Row], largest: int, memory: dict[str, tuple[int, float]]) -> list[Check]:
    """(target, measured, met) for every target of the project, at the largest size of the full cases."""
    by_key = {(r.case.shape, r.case.map_type, r.case.n, r.operation): r for r in rows}
    results: list[Check] = []

    def ratio(shape: str, map_type: str, operation: str, n: int = largest) -> float:
        row = by_key[(shape, map_type, n, operation)]
        return row.ns / (row.floor or float("nan"))

    def against_floor(shape: str, map_type: str, operation: str, limit: float, floor: str = "C floor") -> None:
        found = ratio(shape, map_type, operation)
        label = f"{operation} {shape}, {map_type}, {largest:,}: ≤ {limit}× {floor}"
        results.append((label, f"{found:.2f}×", found <= limit))

    shapes = [op for (shape, map_type, n, op) in by_key if (shape, map_type, n) == ("u32 -> u64", "hash", largest)]
    writes = [op for op in shapes if op.startswith("update_many(")]
    for map_type in CLASSES:
        for operation in writes:
            against_floor("u32 -> u64", map_type, operation, 1.15)
        fastest = min(ratio("u32 -> u64", map_type, op) for op in writes)
        slowest = max(writes, key=lambda op: ratio("u32 -> u64", map_type, op))
        spread = ratio("u32 -> u64", map_type, slowest) / fastest
        label = f"every input shape within 10% of the fastest, u32 -> u64, {map_type}: slowest {slowest}"
        results.append((label, f"+{(spread - 1) * 100:.0f}%", spread <= 1.10))
    for map_type in CLASSES:
        shape = "u32 -> Stats(32)" if map_type == "array" else "Flow(16) -> Stats(32)"
        against_floor(shape, map_type, "update_many(dict)", 1.5)
    for operation in ("m.copy()", "dict(m.items())", "list(m)", "sum(m.values())"):
        against_floor("u32 -> u64", "hash", operation, 1.25)
    against_floor("u32 -> u64", "hash", "dict(m)", 1.5)
    against_floor("u32 -> u64", "hash", "m.lookup_many(keys)", 1.3, "a C loop of bpf_map_lookup_elem")
    for shape in ("u32 -> u64", "Flow(16) -> Stats(32)"):
        against_floor(shape, "hash", "m.columns()", 1.5)
    for map_type in ("hash", "lru_hash"):
        for operation in ("m.copy()", "dict(m.items())"):
            against_floor("Flow(16) -> Stats(32)", map_type, operation, 1.25, "C floor + building the instances")
    for row in rows:
        if row.operation == "update_many(dict)" and row.per_element and row.case.n >= 100_000:
            speedup = row.per_element / row.ns
            label = f"update_many ≥ 3× the per-element path: {row.case.shape}, {row.case.map_type}, {row.case.n:,}"
            results.append((label, f"{speedup:.1f}×", speedup >= 3))
    sizes = sorted({r.case.n for r in rows if (r.case.shape, r.case.map_type) == ("u32 -> u64", "hash")})
    for operation in ("update_many(dict)", "m.copy()"):
        ratios = [ratio("u32 -> u64", "hash", operation, n) for n in sizes]
        spread = max(ratios[1:] or ratios) / min(ratios[1:] or ratios)  # 10k: too short to time steadily
        label = f"{operation} flat from {sizes[min(1, len(sizes) - 1)]:,} to {sizes[-1]:,} (× C floor within 15%)"
        results.append((label, " / ".join(f"{r:.2f}" for r in ratios), spread <= 1.15))
    stream_n, stream_mb = memory["stream"]
    results.append(
        (
            f"streaming {stream_n:,} pairs from a generator: peak memory growth ≤ 100 MB",
            f"{stream_mb:.0f} MiB",
            stream_mb <= 100,
        )
    )
    pop_n, pop_mb = memory["pop_many"]
    results.append(
        (f"pop_many({pop_n:,}) of a 4-element map: peak memory growth ≤ 10 MB", f"{pop_mb:.1f} MiB", pop_mb <= 10)
    )
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
    sizes, scaling, repeats, slow_repeats, stream_n = (
        ([10_000], [], 1, 1, 1_000_000)
        if args.quick
        else ([10_000, 100_000, 1_000_000], [10_000_000], 3, 1, 10_000_000)
    )
    binary = build_cfloor()
    rows: list[Row] = []
    for case, scaling_only in cases(sizes, scaling):
        floor = c_floor(binary, case, repeats)
        rows += measure(case, floor, repeats, slow_repeats, scaling_only)
        print(f"measured {case.shape}, {case.map_type}, {case.n:,}", file=sys.stderr)
    memory = {
        "stream": (stream_n, peak_mb("stream", stream_n)),
        "pop_many": (20_000_000, peak_mb("pop_many", 20_000_000)),
    }
    cli_n = 10_000 if args.quick else 1_000_000
    runs = cli_runs(cli_n)
    print(f"measured the command line, {cli_n:,} entries", file=sys.stderr)
    lines = [*table(rows), "", f"The command line, {cli_n:,} entries, beside bpftool:", "", *cli_lines(runs)]
    checks = [*targets(rows, max(sizes), memory), *cli_targets(runs, cli_n)]
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
        "ns/elem is wall time per element, best of the runs. The floor is `bpf_map_update_batch` for",
        "`update_many`, `bpf_map_update_elem` for the per-element rows, `bpf_map_lookup_batch` for reads",
        "and a loop of `bpf_map_lookup_elem` for `lookup_many`, all from C; for reads that return attrs",
        "instances, plus building those instances from tuples in Python.",
        "",
        *lines,
        "",
    ]
    streams = ROOT / "bench" / "streams.md"  # written by bench/streams.py, which make bench runs first
    if streams.exists():
        text += ["## Event streams", "", streams.read_text().strip(), ""]
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        text += ["## Notes", "", notes.read_text().strip(), ""]
    report.write_text("\n".join(text))
    print(f"wrote {report.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
