"""Histograms: the log2 and linear histograms tracing tools keep in maps, read and drawn as BCC draws them.

A latency tool counts each event in a slot: slot *i* of a log2 histogram holds the values from
``2**i`` to ``2**(i+1) - 1`` (libbpf-tools' ``log2()``; with ``zero_slot=True``, BCC's
``bpf_log2l()``: slot 0 holds 0 and slot *i* from ``2**(i-1)`` to ``2**i - 1``), slot *i* of a
linear one ``start + i*step`` to ``start + (i+1)*step - 1``. ``read(m)`` finds the histograms in a
map of any of the shapes tools use:

* counts by slot: an array of counts (``BPF_HISTOGRAM``), or a hash map from slot to count;
* sections: struct keys with a slot field (``slot`` unless named) and others naming the section
  (BCC's ``BPF_HISTOGRAM(dist, disk_key_t)``): one histogram per section;
* slot arrays: values that are, or hold, an array of counts (libbpf-tools' ``struct hist {
  __u32 slots[N]; }``, per pid, per disk...): one histogram per key.

Per-CPU counts are summed over CPUs. ``print(h)`` draws a histogram as BCC's ``print_log2_hist``
does; ``h.to_json()`` gives the buckets; in IPython a histogram draws itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from pybpfmaps.codecs.percpu_values import PerCpuValues
from pybpfmaps.errors import BpfArgumentError

__all__ = ["Bucket", "Histogram", "Histograms", "linear", "log2", "read"]

Scale = Literal["log2", "linear"]
BAR_WIDTH = 40
"""Characters of the longest bar, as in BCC."""


@attrs.frozen
class Bucket:
    """The values from *low* to *high* (inclusive) and how many were counted."""

    low: int
    high: int
    count: int


def _as_counts(counts: Iterable[int]) -> tuple[int, ...]:
    return tuple(int(count) for count in counts)


@attrs.frozen
class Histogram:
    """Counts by slot, on a log2 or linear scale; *unit* names what the values measure ("usecs")."""

    counts: tuple[int, ...] = attrs.field(converter=_as_counts)
    scale: Scale = "log2"
    unit: str = ""
    step: int = 1
    start: int = 0
    zero_slot: bool = False

    def __attrs_post_init__(self) -> None:
        if self.scale not in ("log2", "linear"):
            raise BpfArgumentError(f"a histogram's scale is 'log2' or 'linear', got {self.scale!r}")
        if self.step < 1:
            raise BpfArgumentError(f"a linear histogram's step is at least 1, got {self.step}")

    @property
    def buckets(self) -> list[Bucket]:
        """Every slot's range and count, up to the last slot that counted something."""
        return [Bucket(*self._range(slot), count) for slot, count in enumerate(self.counts[: self._used()])]

    @property
    def total(self) -> int:
        """How many values were counted."""
        return sum(self.counts)

    def percentile(self, share: float) -> int | None:
        """The upper end of the bucket holding the value below which *share* (0 to 1) of the values lie."""
        if not 0 <= share <= 1:
            raise BpfArgumentError(f"a share is from 0 to 1, got {share}")
        total, seen = self.total, 0
        for bucket in self.buckets:
            seen += bucket.count
            if total and seen >= share * total:
                return bucket.high
        return None

    def render(self, width: int = BAR_WIDTH) -> str:
        """The histogram as BCC prints it: a line per slot, ``low -> high : count |****|``."""
        buckets = self.buckets
        unit = self.unit or "value"
        if not buckets:
            return f"{unit:>20} : count     distribution\n(no values counted)"
        labels = [self._label(bucket) for bucket in buckets]
        label_width = max(20, *(len(label) for label in labels))
        most = max(bucket.count for bucket in buckets)
        count_width = max(8, len(str(most)))
        lines = [f"{unit:>{label_width}} : {'count':<{count_width}} distribution"]
        for label, bucket in zip(labels, buckets, strict=True):
            stars = round(width * bucket.count / most) if most else 0
            if bucket.count and not stars:
                stars = 1  # a bucket with values never looks empty
            lines.append(f"{label:>{label_width}} : {bucket.count:<{count_width}} |{'*' * stars:<{width}}|")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """``{"scale": ..., "unit": ..., "total": ..., "buckets": [{"low", "high", "count"}, ...]}``."""
        return {
            "scale": self.scale,
            "unit": self.unit,
            "total": self.total,
            "buckets": [attrs.asdict(bucket) for bucket in self.buckets],
        }

    def __str__(self) -> str:
        return self.render()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.render())

    def _range(self, slot: int) -> tuple[int, int]:
        if self.scale == "linear":
            low = self.start + slot * self.step
            return low, low + self.step - 1
        if self.zero_slot:
            return (0, 0) if slot == 0 else (1 << (slot - 1), (1 << slot) - 1)
        return (0 if slot == 0 else 1 << slot), (1 << (slot + 1)) - 1

    def _label(self, bucket: Bucket) -> str:
        return str(bucket.low) if bucket.low == bucket.high else f"{bucket.low} -> {bucket.high}"

    def _used(self) -> int:
        """Slots up to the last with a count (at least one)."""
        last = max((slot for slot, count in enumerate(self.counts) if count), default=-1)
        return last + 1


def log2(counts: Iterable[int], unit: str = "", *, zero_slot: bool = False) -> Histogram:
    """A log2 histogram of *counts* by slot (``zero_slot``: slot 0 counts the value 0, as BCC's ``bpf_log2l``)."""
    return Histogram(_as_counts(counts), "log2", unit, zero_slot=zero_slot)


def linear(counts: Iterable[int], step: int = 1, start: int = 0, unit: str = "") -> Histogram:
    """A linear histogram of *counts*: slot *i* holds ``start + i*step`` to ``start + (i+1)*step - 1``."""
    return Histogram(_as_counts(counts), "linear", unit, step=step, start=start)


class Histograms(dict[Any, Histogram]):
    """Histograms by section (a key of the map, or the fields of its keys besides the slot), in
    order of their sections; the section of a map that holds a single histogram is ``None``.
    *section* names what the sections are ("key", or the key field that tells them apart)."""

    def __init__(self, histograms: Iterable[tuple[Any, Histogram]] = (), section: str = "") -> None:
        super().__init__(sorted(histograms, key=_section_order))
        self.section = section

    def render(self, width: int = BAR_WIDTH, section: str | None = None) -> str:
        """Each histogram, under a line naming its section when there are several."""
        if len(self) == 1 and None in self:
            return self[None].render(width)
        section = self.section if section is None else section
        parts = []
        for key, histogram in self.items():
            name = f"{section} = {_section_text(key)}" if section else _section_text(key)
            parts.append(f"{name}\n{histogram.render(width)}")
        return "\n\n".join(parts) if parts else "(no histograms)"

    def to_json(self) -> list[dict[str, Any]]:
        """``[{"section": ..., **histogram.to_json()}, ...]``."""
        return [{"section": _section_json(key), **histogram.to_json()} for key, histogram in self.items()]

    def __str__(self) -> str:
        return self.render()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.render())


def read(
    source: Mapping[Any, Any],
    scale: Scale = "log2",
    *,
    unit: str = "",
    field: str | None = None,
    slot: str | None = None,
    step: int = 1,
    start: int = 0,
    zero_slot: bool = False,
) -> Histograms:
    """The histograms a map (or any mapping of its items) holds, in one of the shapes of the module
    docstring; *field* names the slot array of struct values, *slot* the slot field of struct keys."""
    items = list(source.items())

    def make(counts: Sequence[int]) -> Histogram:
        return Histogram(_as_counts(counts), scale, unit, step=step, start=start, zero_slot=zero_slot)

    if not items:
        return Histograms([(None, make(()))])
    label = getattr(getattr(source, "info", None), "label", "the map")
    if _counts_of(items[0][1], field, label) is not None:  # one histogram per key
        if len(items) == 1:
            return Histograms([(None, make(_counts_of(items[0][1], field, label) or ()))])
        return Histograms(((key, make(_counts_of(value, field, label) or ())) for key, value in items), "key")
    by_section: dict[Any, dict[int, int]] = {}
    names: tuple[str, ...] = ()
    for key, value in items:
        section, index, names = _slot_of(key, slot, label)
        slots = by_section.setdefault(section, {})
        slots[index] = slots.get(index, 0) + _count(value, label)
    histograms = ((section, make([slots.get(i, 0) for i in range(max(slots, default=-1) + 1)]))
                  for section, slots in by_section.items())  # fmt: skip
    return Histograms(histograms, names[0] if len(names) == 1 else "")


def _count(value: Any, label: str) -> int:
    """A count: an int, or per-CPU ints summed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if _is_per_cpu(value) and all(isinstance(each, int) for each in value):
        return sum(value)
    raise BpfArgumentError(
        f"{label} does not hold histogram counts: a value is {value!r}, neither a count nor an array of counts"
    )


def _counts_of(value: Any, field: str | None, label: str) -> list[int] | None:
    """The slot array of a value (summed over CPUs for per-CPU values), or ``None`` if it is a plain count."""
    if _is_per_cpu(value):
        arrays = [_counts_of(each, field, label) for each in value]
        if arrays[0] is None:
            return None
        return [sum(column) for column in zip(*(array or () for array in arrays), strict=False)]
    if isinstance(value, int) and field is None:
        return None
    array = _array_field(value, field, label)
    return None if array is None else [int(count) for count in array]


def _array_field(value: Any, field: str | None, label: str) -> Sequence[int] | None:
    if isinstance(value, tuple) and not attrs.has(type(value)) and all(isinstance(each, int) for each in value):
        return value
    if not attrs.has(type(value)):
        if field is not None:
            raise BpfArgumentError(f"{label}'s values are not structs: there is no field {field!r}")
        return None
    names = [each.name for each in attrs.fields(type(value))]
    if field is None:
        arrays = [name for name in names if _is_counts(getattr(value, name))]
        field = "slots" if "slots" in arrays else arrays[0] if len(arrays) == 1 else None
        if field is None:
            raise BpfArgumentError(
                f"{label}'s values have {'no' if not arrays else 'several'} arrays of counts"
                + (f" ({', '.join(arrays)})" if arrays else "")
                + ": name the one to draw (field=, or --field on the command line)"
            )
    if field not in names:
        raise BpfArgumentError(f"{label}'s values have no field {field!r}; they have {', '.join(names)}")
    array = getattr(value, field)
    if not _is_counts(array):
        raise BpfArgumentError(f"field {field!r} of {label}'s values is not an array of counts")
    return array  # type: ignore[no-any-return]


def _is_counts(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and all(isinstance(each, int) for each in value)


def _is_per_cpu(value: Any) -> bool:
    return isinstance(value, PerCpuValues)


def _slot_of(key: Any, slot: str | None, label: str) -> tuple[Any, int, tuple[str, ...]]:
    """(section, slot index, the names of the section's fields) of a key: an int is a slot; a
    struct holds the slot in one field and the section in the others."""
    if isinstance(key, int) and not isinstance(key, bool) and slot is None:
        return None, key, ()
    if not attrs.has(type(key)):
        raise BpfArgumentError(f"{label}'s keys ({type(key).__name__}) are neither slots nor structs with a slot field")
    names = [each.name for each in attrs.fields(type(key))]
    name = slot or "slot"
    if name not in names:
        raise BpfArgumentError(f"{label}'s keys have no field {name!r} for the slot; they have {', '.join(names)}")
    rest = tuple((each, getattr(key, each)) for each in names if each != name)
    section: Any = None if not rest else rest[0][1] if len(rest) == 1 else rest
    return section, int(getattr(key, name)), tuple(each for each, _ in rest)


def _section_order(item: tuple[Any, Histogram]) -> tuple[int, Any]:
    """Sections in order: numbers by value, the rest by their text."""
    key = item[0]
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key)
    return (1, _section_text(key))


def _section_text(key: Any) -> str:
    if isinstance(key, tuple) and all(isinstance(each, tuple) and len(each) == 2 for each in key):
        return ", ".join(f"{name}={_section_text(value)}" for name, value in key)
    if attrs.has(type(key)):
        return ", ".join(f"{each.name}={_section_text(getattr(key, each.name))}" for each in attrs.fields(type(key)))
    if isinstance(key, bytes):
        return key.rstrip(b"\0").decode(errors="replace")
    return str(key)


def _section_json(key: Any) -> Any:
    if key is None or isinstance(key, (int, float, str, bool)):
        return key
    if isinstance(key, tuple) and all(isinstance(each, tuple) and len(each) == 2 for each in key):
        return {name: _section_json(value) for name, value in key}
    if attrs.has(type(key)):
        return {each.name: _section_json(getattr(key, each.name)) for each in attrs.fields(type(key))}
    return _section_text(key)
