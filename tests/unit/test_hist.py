"""``pybpfmaps.hist`` without a kernel: slot ranges, drawing, JSON, and the map shapes it reads
(plain mappings stand in for maps)."""

from __future__ import annotations

import attrs
import pytest

from pybpfmaps import BpfArgumentError, PerCpuValues, array, field, hist, string, u32, u64


def test_log2_slots_follow_libbpf_tools_or_bcc() -> None:
    ranges = [(b.low, b.high) for b in hist.log2([1] * 5).buckets]
    assert ranges == [(0, 1), (2, 3), (4, 7), (8, 15), (16, 31)]  # bits.bpf.h log2()
    ranges = [(b.low, b.high) for b in hist.log2([1] * 5, zero_slot=True).buckets]
    assert ranges == [(0, 0), (1, 1), (2, 3), (4, 7), (8, 15)]  # BCC's bpf_log2l()
    ranges = [(b.low, b.high) for b in hist.linear([1] * 3, step=5, start=100).buckets]
    assert ranges == [(100, 104), (105, 109), (110, 114)]


def test_drawing_is_bccs_and_every_counted_slot_shows_a_star() -> None:
    drawn = hist.log2([0, 1000, 3, 0, 0], "usecs")
    assert drawn.render().splitlines() == [
        "               usecs : count    distribution",
        "              0 -> 1 : 0        |                                        |",
        "              2 -> 3 : 1000     |****************************************|",
        "              4 -> 7 : 3        |*                                       |",
    ]  # the empty slots after the last count are left out
    assert str(hist.log2([])) == "               value : count     distribution\n(no values counted)"
    assert hist.linear([2, 4], unit="ms").render(width=4).splitlines()[1:] == [
        "                   0 : 2        |**  |",
        "                   1 : 4        |****|",
    ]


def test_totals_percentiles_and_json() -> None:
    drawn = hist.log2([1, 1, 2, 0, 4])
    assert drawn.total == 8
    assert [drawn.percentile(share) for share in (0, 0.25, 0.5, 0.51, 1)] == [1, 3, 7, 31, 31]
    with pytest.raises(BpfArgumentError):
        drawn.percentile(2)
    assert drawn.to_json()["buckets"][2] == {"low": 4, "high": 7, "count": 2}
    with pytest.raises(BpfArgumentError, match="scale"):
        hist.Histogram((1,), "cubic")  # type: ignore[arg-type]


@attrs.frozen
class DiskSlot:
    disk: str = field(string(8))
    slot: int = u64()


@attrs.frozen
class Slots:
    slots: tuple[int, ...] = field(array(u32, 4))
    other: tuple[int, ...] = field(array(u32, 2))
    comm: str = field(string(8))


def test_the_shapes_tools_keep_histograms_in() -> None:
    by_slot = hist.read({0: 1, 3: 4, 1: 0})
    assert list(by_slot) == [None]
    assert by_slot[None].counts == (1, 0, 0, 4)
    per_cpu = hist.read({0: PerCpuValues([1, 2]), 1: PerCpuValues([0, 5])})
    assert per_cpu[None].counts == (3, 5)
    sections = hist.read({DiskSlot("sdb", 1): 2, DiskSlot("sda", 0): 1, DiskSlot("sda", 2): 7})
    assert sections.section == "disk"
    assert {disk: drawn.counts for disk, drawn in sections.items()} == {"sda": (1, 0, 7), "sdb": (0, 2)}
    assert list(sections) == ["sda", "sdb"]
    assert sections.render().startswith("disk = sda\n")
    assert sections.to_json()[1]["section"] == "sdb"
    per_key = hist.read({7: Slots((1, 2, 0, 0), (9, 9), "a"), 3: Slots((0, 0, 0, 1), (9, 9), "b")})
    assert per_key.section == "key"
    assert {key: drawn.counts for key, drawn in per_key.items()} == {3: (0, 0, 0, 1), 7: (1, 2, 0, 0)}
    assert hist.read({1: Slots((0,) * 4, (5, 6), "")}, field="other")[None].counts == (5, 6)
    summed = hist.read({1: PerCpuValues([Slots((1, 0, 0, 0), (0, 0), ""), Slots((1, 1, 0, 0), (0, 0), "")])})
    assert summed[None].counts == (2, 1, 0, 0)


@attrs.frozen
class Bucketed:
    disk: int = u32()
    bucket: int = u32()


@attrs.frozen
class TwoArrays:
    a: tuple[int, ...] = field(array(u32, 2))
    b: tuple[int, ...] = field(array(u32, 2))


def test_maps_that_hold_no_histogram_say_why() -> None:
    with pytest.raises(BpfArgumentError, match="neither a count nor an array of counts"):
        hist.read({1: "text"})
    with pytest.raises(BpfArgumentError, match="no field 'slot' for the slot; they have disk, bucket"):
        hist.read({Bucketed(1, 2): 3})
    with pytest.raises(BpfArgumentError, match=r"several arrays of counts \(a, b\): name the one"):
        hist.read({1: TwoArrays((1, 2), (3, 4))})
