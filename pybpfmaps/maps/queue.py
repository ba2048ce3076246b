"""``QueueMap`` and ``StackMap``: BPF's FIFO and LIFO of values, used like the ends of a ``deque``.

``push`` adds a value (BPF_MAP_UPDATE_ELEM without a key), ``pop`` takes the next one out
(LOOKUP_AND_DELETE_ELEM), ``peek`` reads it without taking it (LOOKUP_ELEM). A queue hands values
out oldest first, a stack newest first. The kernel keeps no count and has no way to read past the
next value, so these maps have no ``len()``; iterating one **drains** it (each value is popped as it
is handed out), which is what a consumer of a queue does. ``bool(q)`` peeks.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pybpfmaps._sys import uapi
from pybpfmaps._typevars import V
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import MapEmptyError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps.keyless import KeylessMap

if TYPE_CHECKING:
    from typing_extensions import Self

D = TypeVar("D")
_EMPTY: Any = object()


class _ValueStack(KeylessMap[V]):
    """Push, pop and peek: the part queues and stacks share (only the order differs, in the kernel)."""

    @classmethod
    def create(
        cls, *, value: Codec[V] | type[V], max_entries: int, name: str = "", flags: MapFlags | int = MapFlags.NONE,
        btf: bool = True,
    ) -> Self:  # fmt: skip
        """A new map holding up to *max_entries* values of the *value* codec (an attrs layout too)."""
        return cls._create(value, max_entries, name, flags, btf)

    def push(self, value: V, *, evict: bool = False) -> None:
        """Add *value*. When the map is full: ``MapFullError``, or with *evict* the oldest value is
        dropped to make room (BPF_EXIST), as a ``deque(maxlen=...)`` does."""
        self._push(value, uapi.BPF_EXIST if evict else uapi.BPF_ANY)

    def extend(self, values: Iterable[V], *, evict: bool = False) -> int:
        """Push each of *values* in order; all are encoded before the first push. Returns how many
        were pushed; a failure is a ``BatchUpdateError`` whose ``applied`` says how many were."""
        return self._push_all(values, uapi.BPF_EXIST if evict else uapi.BPF_ANY, "extend")

    def pop(self, default: D = _EMPTY) -> V | D:
        """Take the next value out (a queue's oldest, a stack's newest); *default* if the map is
        empty, else ``MapEmptyError`` (an ``IndexError``)."""
        data = self._take(self._handle.commands.map_lookup_and_delete_elem)
        return self._decoded(data, default, "BPF_MAP_LOOKUP_AND_DELETE_ELEM")

    def peek(self, default: D = _EMPTY) -> V | D:
        """The value ``pop()`` would take, left in place; *default* or ``MapEmptyError`` if empty."""
        data = self._take(self._handle.commands.map_lookup_elem)
        return self._decoded(data, default, "BPF_MAP_LOOKUP_ELEM")

    def _decoded(self, data: bytes | None, default: D, command: str) -> V | D:
        if data is not None:
            value: V = self._handle.value.unpack(data)
            return value
        if default is not _EMPTY:
            return default
        raise MapEmptyError(errno.ENOENT, "the map is empty", command=command, map_label=self._handle.label)

    def drain(self) -> list[V]:
        """Pop every value, in the order ``pop()`` gives them (values pushed meanwhile included)."""
        return list(self)

    def clear(self) -> None:
        """Pop until empty."""
        for _ in self:
            pass

    def __iter__(self) -> Iterator[V]:
        """Pop values one at a time until the map is empty: iterating **drains** the map."""
        while (data := self._take(self._handle.commands.map_lookup_and_delete_elem)) is not None:
            yield self._handle.value.unpack(data)

    def __bool__(self) -> bool:
        """Whether a value is waiting (one peek)."""
        return self._take(self._handle.commands.map_lookup_elem) is not None


class QueueMap(_ValueStack[V]):
    """``BPF_MAP_TYPE_QUEUE``: values come out in the order they went in (FIFO)."""

    map_type = MapType.QUEUE


class StackMap(_ValueStack[V]):
    """``BPF_MAP_TYPE_STACK``: the last value pushed comes out first (LIFO)."""

    map_type = MapType.STACK
