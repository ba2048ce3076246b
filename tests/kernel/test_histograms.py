"""Histograms kept by a clang-built program (tests/bpf/histograms.bpf.c) in the three shapes tools
use, read by ``pybpfmaps.hist`` and ``pybpfmaps hist``: each bucket holds what the program counted,
as computed here from the packets sent, and as bpftool reads the raw counts."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pybpfmaps import BpfMap, BpfProgram, hist
from tests.support import bpftool, clang

pytestmark = pytest.mark.needs_kernel("5.2", "clang-built programs with BTF-defined maps")

SLOTS = 16
LENGTHS = [14, 15, 16, 20, 31, 32, 64, 64, 100, 127, 128, 600, 1500, 1500, 2048, 3000]
"""Packet lengths; XDP test runs see at most a page less headroom in one piece (the rest, on newer
kernels, in fragments the program does not count)."""


def log2(value: int) -> int:
    return value.bit_length() - 1 if value else 0


@pytest.fixture(scope="module")
def histograms_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clang.build(clang.SOURCES / "histograms.bpf.c", tmp_path_factory.mktemp("histograms"))


@pytest.fixture
def counted(histograms_object: Path, bpffs: Path) -> Path:
    """The program loaded and run once per packet: a packet of each length in LENGTHS, its first
    byte the length's index modulo 5."""
    loaded = clang.load(histograms_object, bpffs / "histograms")
    with BpfProgram.from_pin(loaded / "prog" / "count") as program:
        for index, length in enumerate(LENGTHS):
            program.test_run(bytes([index % 5]) + bytes(length - 1))
    return loaded / "maps"


def expected(lengths: list[int]) -> list[int]:
    slots = Counter(min(log2(length), SLOTS - 1) for length in lengths)
    return [slots[slot] for slot in range(max(slots) + 1)]


def test_an_array_of_counts_is_one_log2_histogram(counted: Path) -> None:
    with BpfMap.from_pin(counted / "sizes") as sizes:
        found = hist.read(sizes, unit="bytes")
    assert list(found) == [None]
    drawn = found[None]
    assert list(drawn.counts[: len(expected(LENGTHS))]) == expected(LENGTHS)
    raw = bpftool.dump_pinned(str(counted / "sizes"))
    assert [struct.unpack("=Q", raw[struct.pack("=I", slot)])[0] for slot in range(SLOTS)] == list(drawn.counts)
    assert drawn.total == len(LENGTHS)
    assert [(b.low, b.high) for b in drawn.buckets[:4]] == [(0, 1), (2, 3), (4, 7), (8, 15)]
    assert drawn.buckets[-1] == hist.Bucket(2048, 4095, 2)  # 2048 and 3000 bytes
    assert drawn.percentile(0.5) == 127  # the 8th of 16 lengths is 100


def test_keys_with_a_slot_field_make_a_histogram_per_section(counted: Path) -> None:
    with BpfMap.from_pin(counted / "by_first") as by_first:
        found = hist.read(by_first)
    assert found.section == "first"
    assert list(found) == [0, 1, 2, 3, 4]
    for first, drawn in found.items():
        assert list(drawn.counts) == expected([n for i, n in enumerate(LENGTHS) if i % 5 == first])
    assert found.render().startswith("first = 0\n")


def test_values_holding_slot_arrays_make_a_histogram_per_key_summed_over_cpus(counted: Path) -> None:
    with BpfMap.from_pin(counted / "by_kind") as by_kind:
        found = hist.read(by_kind, "linear", step=1024, unit="bytes")
    assert found.section == "key"
    for kind, drawn in found.items():
        lengths = [n for i, n in enumerate(LENGTHS) if (i % 5) % 4 == kind]
        counts = expected(lengths)
        assert list(drawn.counts) == counts + [0] * (SLOTS - len(counts))  # the program's slots[], on a linear scale
        assert drawn.buckets[1] == hist.Bucket(1024, 2047, drawn.counts[1])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pybpfmaps", *args], capture_output=True, text=True, check=False)


def test_the_command_draws_them_as_bcc_does_and_as_json(counted: Path) -> None:
    drawn = run("hist", str(counted / "sizes"), "--unit", "bytes")
    assert drawn.returncode == 0, drawn.stderr
    lines = drawn.stdout.splitlines()
    assert lines[0].split() == ["bytes", ":", "count", "distribution"]
    counts = expected(LENGTHS)
    top = max(counts)
    for line, count in zip(lines[1:], counts, strict=True):
        _label, _, rest = line.partition(" : ")
        number, bar = rest.split(None, 1)
        assert int(number) == count
        stars = bar.strip("|").count("*")
        assert stars == (max(1, round(40 * count / top)) if count else 0), line
    as_json: list[dict[str, Any]] = json.loads(run("hist", str(counted / "by_first"), "--json").stdout)
    assert [section["section"] for section in as_json] == [0, 1, 2, 3, 4]
    assert sum(section["total"] for section in as_json) == len(LENGTHS)
    (rodata,) = counted.glob("*rodata")  # the program's constants: no counts in them
    refused = run("hist", str(rodata))
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "no arrays of counts" in refused.stderr
