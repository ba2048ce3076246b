"""Per-CPU values: one value per *possible* CPU, each in an 8-byte-aligned slot (docs/kernel-notes.md#per-cpu).

``PerCpuCodec`` wraps the codec of one CPU's value. Reading gives ``PerCpuValues``, a tuple with
one value per CPU and helpers to aggregate it. Writing takes a sequence of one value per CPU, or
any single value, which then goes to every CPU.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from pybpfmaps.codecs.base import Buffer, Codec
from pybpfmaps.codecs.hooks import btf_type, from_json, holds_spin_lock, to_json
from pybpfmaps.errors import CodecError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["PerCpuCodec", "PerCpuValues"]

T = TypeVar("T")


class PerCpuValues(tuple[T, ...]):
    """One value per possible CPU, in CPU order."""

    __slots__ = ()

    def sum(self) -> T:
        """The total over CPUs: of ints, or field by field of attrs instances whose fields are ints."""
        return self._per_field(sum)

    def max(self) -> T:
        """The largest over CPUs (field by field for attrs instances)."""
        return self._per_field(max)

    def min(self) -> T:
        """The smallest over CPUs (field by field for attrs instances)."""
        return self._per_field(min)

    def mean(self) -> Any:
        """The average over CPUs, a ``float``; for attrs instances, a dict of each field's average."""
        return self.reduce(statistics.fmean)

    def reduce(self, reducer: Callable[[tuple[Any, ...]], Any]) -> Any:
        """``reducer`` of the CPUs' values, one number per CPU: ``values.reduce(statistics.median)``.

        For attrs instances, a dict of *reducer* of each field's values: ``{"packets": ..., ...}``.
        """
        first: Any = self[0]
        if isinstance(first, (int, float)):
            return reducer(tuple(self))
        return {name: reducer(values) for name, values in self._fields().items()}

    def _per_field(self, reducer: Callable[[tuple[Any, ...]], Any]) -> T:
        """*reducer* of the values, or an instance of their attrs class holding it of each field."""
        first: Any = self[0]
        if isinstance(first, (int, float)):
            return cast("T", reducer(tuple(self)))
        results = {field: reducer(values) for field, values in self._fields(alias=True).items()}
        return cast("T", type(first)(**results))

    def _fields(self, alias: bool = False) -> dict[str, tuple[Any, ...]]:
        kind = type(self[0])
        if not attrs.has(kind):
            raise TypeError(f"per-CPU values of type {kind.__name__} are not numbers or attrs instances of numbers")
        fields = [field for field in attrs.fields(kind) if field.init]
        return {
            field.alias if alias else field.name: tuple(getattr(value, field.name) for value in self)
            for field in fields
        }

    def __repr__(self) -> str:
        return f"PerCpuValues({list(self)!r})"


class PerCpuCodec(Codec[PerCpuValues[T]], Generic[T]):
    """``cpus`` values of *element*, each padded to a multiple of 8 bytes (padding written as zero)."""

    __slots__ = ("cpus", "element", "slot")

    def __init__(self, element: Codec[T], cpus: int) -> None:
        slot = (element.size + 7) // 8 * 8
        super().__init__(slot * cpus, f"percpu({element.name})", 8)
        self.element = element
        self.cpus = cpus
        self.slot = slot

    def pack(self, value: Any) -> bytes:
        pad = bytes(self.slot - self.element.size)
        if isinstance(value, (list, tuple)) and not (attrs.has(type(value))):
            if len(value) != self.cpus:
                raise CodecError(
                    f"{self.name} cannot encode {value!r}: {len(value)} values, expected one per possible CPU "
                    f"({self.cpus}), or a single value for every CPU"
                )
            return b"".join(self.element.pack(item) + pad for item in value)
        return (self.element.pack(value) + pad) * self.cpus

    def unpack(self, data: Buffer) -> PerCpuValues[T]:
        view = memoryview(data).cast("B")
        size, slot = self.element.size, self.slot
        return PerCpuValues(self.element.unpack(bytes(view[i : i + size])) for i in range(0, self.cpus * slot, slot))

    def unpack_many(self, data: Buffer, count: int) -> list[PerCpuValues[T]]:
        view = memoryview(data).cast("B")
        size = self.size
        return [self.unpack(view[i : i + size]) for i in range(0, count * size, size)]

    def pack_many(self, values: Iterable[Any]) -> bytes:
        return b"".join(map(self.pack, values))


@btf_type.register(PerCpuCodec)
def _(codec: PerCpuCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    return btf_type(codec.element, builder)  # the kernel describes one CPU's value


@holds_spin_lock.register(PerCpuCodec)
def _(codec: PerCpuCodec) -> bool:  # type: ignore[type-arg]
    return holds_spin_lock(codec.element)


@from_json.register(PerCpuCodec)
def _(codec: PerCpuCodec, value: Any, role: str, *, text: bool = False) -> Any:  # type: ignore[type-arg]
    """A list of one value per CPU, or one value for every CPU."""
    if isinstance(value, list):
        return [from_json(codec.element, item, role) for item in value]
    return from_json(codec.element, value, role, text=text)


@to_json.register(PerCpuCodec)
def _(codec: PerCpuCodec, value: Any) -> Any:  # type: ignore[type-arg]
    if isinstance(value, tuple):
        return [to_json(codec.element, item) for item in value]
    return to_json(codec.element, value)
