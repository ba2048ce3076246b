"""``MutableBpfMap``: the removal side of the dict protocol, for every map type that can delete.

del, pop, popitem, setdefault, clear, and the bulk delete_many, drain and pop_many.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, MutableMapping
from typing import Any, TypeVar, overload

from pybpfmaps._sys import uapi
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps._typevars import K, V
from pybpfmaps.errors import KeyExistsError, KeyNotFoundError
from pybpfmaps.flags import UpdateFlags
from pybpfmaps.maps import _batch, _reader, _removal
from pybpfmaps.maps.base import BpfMap

D = TypeVar("D")

_MISSING: Any = object()


class MutableBpfMap(BpfMap[K, V], MutableMapping[K, V]):
    """A map whose elements can be deleted: a full ``MutableMapping``.

    Minimum kernel:
        3.19; ``pop()`` is atomic from Linux 5.14 (BPF_MAP_LOOKUP_AND_DELETE_ELEM) on hash maps.
    """

    def __delitem__(self, key: K) -> None:
        h = self._handle
        raw_key = h.pack_key(key)
        try:  # not h.translated(): on a per-element path its cost shows next to the syscall's
            h.call(h.commands.map_delete_elem, raw_key)
        except RawBpfError as exc:
            raise h.error(exc, key, writing=True) from None

    @overload
    def pop(self, key: K, *, lock: bool = False) -> V: ...
    @overload
    def pop(self, key: K, default: V | D, *, lock: bool = False) -> V | D: ...

    def pop(self, key: K, default: Any = _MISSING, *, lock: bool = False) -> Any:
        """Remove *key* and return its value, atomically where the kernel can (Linux 5.14+).

        With *lock*, the value is copied under its spin lock (BPF_F_LOCK), so that no BPF program
        is halfway through it (values with a ``spin_lock`` field only).
        """
        h = self._handle
        if lock:
            h.check_lock("lock=True")
        try:
            return h.value.unpack(h.pop_raw(h.pack_key(key), key, uapi.BPF_F_LOCK if lock else 0))
        except KeyNotFoundError:
            if default is _MISSING:
                raise
            return default

    def popitem(self) -> tuple[K, V]:
        """Remove and return some (key, value) pair; ``KeyError`` if the map is empty."""
        while True:
            raw_key = self._handle.next_raw_key(None)
            if raw_key is None:
                raise KeyNotFoundError(None, "popitem(): map is empty", command=None, map_label=self._handle.label)
            key = self._handle.key.unpack(raw_key)
            try:
                return key, self._handle.value.unpack(self._handle.pop_raw(raw_key, key))
            except KeyNotFoundError:
                continue  # another writer removed it first; take the next one

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        """The value of *key*, inserting *default* first if the key is absent (never overwrites)."""
        while True:
            try:
                return self[key]
            except KeyNotFoundError:
                pass
            try:
                self.put(key, default, UpdateFlags.NOEXIST)
            except KeyExistsError:
                continue  # inserted by another writer in between: read theirs
            return default

    def delete_many(self, keys: Iterable[K], *, missing_ok: bool = False) -> int:
        """Delete many keys, with BPF_MAP_DELETE_BATCH where the kernel has it; returns how many were deleted.

        Stops at the first key that cannot be deleted, like the kernel; with *missing_ok*, keys
        that are not in the map are skipped instead (a key given twice is then deleted once).

        Raises:
            BatchDeleteError: ``.applied`` keys were deleted, ``.failed_key`` was not, and
                ``__cause__`` says why (``KeyNotFoundError`` for a missing key).
        """
        return _batch.delete_many(self._handle, keys, missing_ok)

    def drain(self) -> dict[K, V]:
        """Remove every element and return them, with BPF_MAP_LOOKUP_AND_DELETE_BATCH where the kernel has it.

        One pass over the map: it ends even while others keep inserting (their new keys may
        remain). Every element removed is returned: the buffers always have room for what the
        kernel deletes, and whatever stops it carries what it removed.

        Raises:
            DrainError: a later chunk failed, or some removed bytes did not decode; ``.removed``
                and ``.undecoded`` hold everything it removed.
            BatchInterrupted: Ctrl-C; ``.removed`` holds everything it removed.
        """
        return _removal.drain(self._handle)

    def pop_many(self, max_count: int) -> dict[K, V]:
        """Remove and return up to *max_count* elements (fewer only if the map holds fewer).

        Raises:
            DrainError: it stopped, or some removed bytes did not decode; ``.removed`` and
                ``.undecoded`` hold everything it removed.
            BatchInterrupted: Ctrl-C; ``.removed`` holds everything it removed.
        """
        return _removal.pop_many(self._handle, max_count)

    def clear(self) -> None:
        """Delete every key present when the call started; keys others add meanwhile may remain."""
        if self._handle.batch_works("lookup_and_delete"):
            for _ in _reader.read_batches(self._handle, delete=True):
                pass
            return
        h = self._handle
        for raw_key in list(h.raw_keys()):
            try:
                h.call(h.commands.map_delete_elem, raw_key)
            except RawBpfError as exc:
                if exc.errno != errno.ENOENT:
                    raise h.error(exc, h.key.unpack(raw_key), writing=True) from None
