"""``ArrayMemory``: the values of an array created with ``BPF_F_MMAPABLE``, mapped into this process.

Reads and writes go straight to the memory BPF programs use, without a syscall: ``mem[i]``
decodes value *i*, ``mem[i] = v`` encodes it in place, ``mem.values()`` is a ``memoryview`` of
the values themselves when they are native scalars (``u32``, ``i64``, ``f64``...), and
``mem.field("count")`` one of a struct field across all elements. The kernel lays the values out
every ``round_up(value_size, 8)`` bytes (kernel/bpf/arraymap.c, ``elem_size``). A frozen map,
one programs may not write (``BPF_F_RDONLY_PROG``) maps read-only; a read-only fd cannot be
mapped at all. While a writable mapping exists, the kernel refuses to freeze the map (EBUSY).
"""

from __future__ import annotations

import errno
import mmap
import operator
import os
from typing import Any

from pybpfmaps.codecs._columns import Column, column_of
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import ArrayIndexError, BpfArgumentError, BpfPermissionError, ClosedMapError, CodecError
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps.streaming import mapping_errors
from pybpfmaps.streams.base import unmap


class ArrayMemory:
    """The mapped values of one array map; valid until ``close()`` (or the ``with`` block's end)."""

    def __init__(self, handle: MapHandle, codec: Codec[Any]) -> None:
        info = handle.info
        if not info.flags & MapFlags.MMAPABLE:
            raise BpfArgumentError(f"{info.label} was not created with MapFlags.MMAPABLE: it cannot be memory mapped")
        self.label = info.label
        mode, frozen = handle.fd_state()
        if mode == os.O_RDONLY or info.flags & MapFlags.RDONLY:
            # mmap() drops VM_SHARED from a MAP_SHARED mapping of a file not open for writing, and
            # the kernel maps BPF maps only shared: a read-only fd cannot be mapped at all
            reason = "a map is memory mapped through a writable fd; this one is read-only"
            raise BpfPermissionError(errno.EACCES, reason, command="mmap", map_label=self.label)
        # a frozen map maps read-only; so does one programs may not write (BPF_F_RDONLY_PROG): the
        # verifier takes its contents for constants
        self.writable = not frozen and not info.flags & MapFlags.RDONLY_PROG
        self.codec = codec
        self.stride = (info.value_size + 7) & ~7
        self._count = info.max_entries
        length = self.stride * self._count
        access = mmap.ACCESS_WRITE if self.writable else mmap.ACCESS_READ
        with mapping_errors(self.label):  # EPERM/EACCES: BpfPermissionError; the rest: BpfSyscallError
            self._memory = mmap.mmap(handle.live_fd(), (length + mmap.PAGESIZE - 1) & -mmap.PAGESIZE, access=access)
        self._closed = False
        self.raw: memoryview = memoryview(self._memory)[:length]
        """All the values' bytes, padding included: ``max_entries * stride`` of them."""
        if not self.writable:
            self.raw = self.raw.toreadonly()

    def __len__(self) -> int:
        return self._count

    def _span(self, index: Any) -> slice:
        try:
            position = operator.index(index)
        except TypeError:
            raise ArrayIndexError(f"{self.label} is indexed by integers, not {type(index).__name__}") from None
        if position < 0:
            position += self._count
        if not 0 <= position < self._count:
            raise ArrayIndexError(f"index {index} is outside {self.label}'s 0..{self._count - 1}")
        start = position * self.stride
        return slice(start, start + self.codec.size)

    def __getitem__(self, index: int) -> Any:
        """Value *index*, decoded from the shared memory as it is now."""
        return self.codec.unpack(self._view()[self._span(index)].tobytes())

    def __setitem__(self, index: int, value: Any) -> None:
        """Encode *value* into element *index* in place (one copy of its bytes; not atomic as a whole)."""
        span = self._span(index)
        if not self.writable:
            raise BpfPermissionError(None, "mapped read-only (frozen, or BPF_F_RDONLY_PROG)",
                                     command="mmap", map_label=self.label)  # fmt: skip
        try:
            data = self.codec.pack(value)
        except CodecError as exc:
            raise type(exc)(f"bad value for {self.label}: {exc}") from None
        self._view()[span] = data

    def values(self) -> memoryview:
        """A ``memoryview`` of every value, when they are native scalars: ``mem.values()[3] += 1`` writes element 3."""
        return self._strided(column_of(self.codec, None, self.label, "mem[i]"))

    def field(self, name: str) -> memoryview:
        """A ``memoryview`` of struct field *name* in every value: ``mem.field("packets")[7]`` is element 7's."""
        return self._strided(column_of(self.codec, name, self.label, "mem[i]"))

    def _strided(self, column: Column) -> memoryview:
        whole: memoryview = self._view().cast(column.format)  # type: ignore[call-overload]
        return whole[column.offset // column.size :: self.stride // column.size]

    def _view(self) -> memoryview:
        if self._closed:
            raise ClosedMapError(f"the mapping of {self.label} is closed")
        return self.raw

    def close(self) -> None:
        """Unmap; views taken from this object keep their memory mapped until they are gone."""
        if self._closed:
            return
        self._closed = True
        self.raw.release()
        unmap(self._memory)

    def __enter__(self) -> ArrayMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("read-write" if self.writable else "read-only")
        return f"<ArrayMemory of {self.label}: {self._count} x {self.codec.name} every {self.stride} bytes, {state}>"
