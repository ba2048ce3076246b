"""``BpfMap``: a map with keys, as a Python mapping: the dict protocol, bulk writes, snapshots, creation.

It stands on ``MapCore`` (handle, lifecycle, pins, info, opening) and reaches the kernel through
its ``MapHandle``; bulk work is in ``_batch`` (writes), ``_snapshot`` (reads) and ``_display``
(REPL). Subclasses name their kernel map type and, where they differ, their handle and codecs.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, Sequence, ValuesView
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from pybpfmaps._sys import uapi
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps._typevars import K, V
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import CodecError
from pybpfmaps.features import BatchSupport
from pybpfmaps.flags import MapFlags, UpdateFlags
from pybpfmaps.maps import _batch, _display, _open, _snapshot, _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps.columns import Columns
from pybpfmaps.maps.core import MapCore
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self

D = TypeVar("D")


class BpfMap(MapCore, Mapping[K, V]):
    """A BPF map seen as a Python mapping from keys to values, both encoded by codecs.

    Open one with a subclass's ``create()``, or with ``from_pin()``, ``from_id()`` or
    ``from_fd()``, which return the subclass matching the kernel's map type. Close it with
    ``close()`` or a ``with`` block; the map itself lives on while the kernel holds a reference
    (a pin, a program, another fd).
    """

    def __init__(self, fd: Fd, info: MapInfo, key: Codec[K], value: Codec[V], pin_path: str | None = None) -> None:
        """Take ownership of *fd*. Use ``create()`` or the ``from_*()`` constructors instead."""
        self._handle = self._handle_type(fd, info, key, self._value_codec(value), type(self).__name__)
        self._pin_path = pin_path
        _validate.hashable_key(key)
        element = self._element(self._handle.value)
        for role, codec, size in (("key", key, info.key_size), ("value", element, info.value_size)):
            if codec.size != size:
                raise CodecError(
                    f"{role} codec {codec!r} is {codec.size} bytes but {info.label} has {role}_size {size}"
                )

    @classmethod
    def create(
        cls,
        *,
        key: Codec[K] | type[K],
        value: Codec[V] | type[V],
        max_entries: int,
        name: str = "",
        flags: MapFlags | int = MapFlags.NONE,
        btf: bool = True,
    ) -> Self:
        """Create a new map of this class's type; it lives until its last fd, pin or program goes.

        Args:
            key: The key codec, e.g. ``u32`` or ``raw(16)``, or an attrs layout class; its size is
                the map's key_size. Struct keys must be hashable (``@attrs.frozen``).
            value: The value codec or attrs layout class; its size is the map's value_size.
            max_entries: The capacity.
            name: A kernel name, at most 15 characters from ``[A-Za-z0-9_.]``.
            flags: ``MapFlags`` this map type accepts (``create_flags``).
            btf: Describe the keys and values to the kernel with BTF generated from the codecs, so
                that ``bpftool`` and other processes see their fields (where the kernel takes it).

        Raises:
            BpfArgumentError: a bad name, capacity, flag or codec; nothing was created.
            BpfPermissionError: no CAP_BPF / not root.
        """
        return create_keyed(cls, as_codec(key, "key"), as_codec(value, "value"), max_entries, name, flags, btf)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        typed = _open.btf_codecs(info) if btf and (key is None or value is None) else (None, None)
        key_from_btf = cls._typed_key(typed[0], info) if typed[0] is not None else None
        key_codec = as_codec(key, "key") if key is not None else key_from_btf or cls._default_key(info)
        fallback: Codec[Any] = RawCodec(info.value_size)  # size 0 for maps without values (ring buffers)
        value_codec = as_codec(value, "value") if value is not None else typed[1] or fallback
        return cls(fd, info, key_codec, value_codec, pin_path)

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        return RawCodec(info.key_size)

    @classmethod
    def _typed_key(cls, codec: Codec[Any], info: MapInfo) -> Codec[Any] | None:
        """The key codec for a map opened without one, given what its BTF says (``None``: the default)."""
        return None if isinstance(codec, RawCodec) and codec.reason is None else codec

    def _value_codec(self, value: Codec[Any]) -> Codec[Any]:
        """The codec of what user space reads and writes for a value (per-CPU maps wrap it)."""
        return value

    @staticmethod
    def _element(value: Codec[Any]) -> Codec[Any]:
        """The codec whose size the kernel calls value_size."""
        return value

    @property
    def key_codec(self) -> Codec[K]:
        """The codec of the keys."""
        return self._handle.key

    @property
    def value_codec(self) -> Codec[V]:
        """The codec of the values."""
        return self._handle.value

    # -- reading ------------------------------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        h = self._handle
        recent = h.recent
        if recent is not None:  # right after a pass over the keys: the value that pass read (_keypass)
            pair = next(recent, None)
            if pair is not None and pair[0] is key:
                value: V = pair[1]
                return value  # otherwise the lookup below ends the pass's answers (any use of the fd does)
        raw_key = h.pack_key(key)
        try:
            data = h.call(h.commands.map_lookup_elem, raw_key, h.value_size)
        except RawBpfError as exc:
            raise h.error(exc, key) from None
        found: V = h.value.unpack(data)
        return found

    def __contains__(self, key: object) -> bool:
        return self._handle.lookup_raw(self._handle.pack_key(key)) is not None

    def __iter__(self) -> Iterator[K]:
        """The keys, read a chunk at a time with BPF_MAP_LOOKUP_BATCH (Linux 5.6+), else walked one by one.

        Each key comes at most once, and every key that stays in the map meanwhile comes; see
        [docs/api.md#iteration](api.md#iteration). Deleting the keys you are handed is safe.
        """
        return _snapshot.keys(self._handle)

    def __bool__(self) -> bool:
        """Whether the map holds any key: one syscall, not a count."""
        return self._handle.next_raw_key(None) is not None

    def __len__(self) -> int:
        """The number of keys, counted by reading the map (batch reads on Linux 5.6+, else O(n) syscalls)."""
        return _snapshot.count(self._handle)

    def keys(self) -> KeysView[K]:
        """A view of the keys; iterating it is iterating the map (one batch read per chunk)."""
        return _KeysView(self)

    def items(self) -> ItemsView[K, V]:
        """A view of (key, value) pairs; keys deleted by others while it is iterated are skipped."""
        return _ItemsView(self)

    def values(self) -> ValuesView[V]:
        """A view of the values; keys deleted by others while it is iterated are skipped."""
        return _ValuesView(self)

    def copy(self, *, lock: bool = False) -> dict[K, V]:
        """A ``dict`` snapshot of the map, read in chunks with BPF_MAP_LOOKUP_BATCH where the kernel can.

        ``dict(m)`` gives the same dict but, by Python's protocol, looks every key up on its own;
        ``m.copy()`` and ``dict(m.items())`` read keys and values together. With *lock*, each value
        is copied under its spin lock (BPF_F_LOCK), so that no BPF program is halfway through it.

        Raises:
            KeyCollisionError: two keys that differ in the map decode to equal Python keys (a codec
                of your own, garbage another writer left in an attrs layout's padding): one dict
                cannot hold both, and ``copy()`` does not pick one.
        """
        if lock:
            self._handle.check_lock("lock=True")
        return _snapshot.copy(self._handle, lock)

    def columns(self, *, lock: bool = False) -> Columns:
        """The whole map as columns, read as ``copy()`` reads it but decoded without an object per
        element: integer and float keys or values as one ``array.array``, structs as a dict of
        columns by field name ([docs/api.md#columns](api.md#columns)). The fast way to sum, filter or hand a map to
        numpy; *lock* as for ``copy()``.
        """
        h = self._handle
        if lock:
            h.check_lock("lock=True")
        keys, values, count = _snapshot.raw(h, lock)
        return Columns(h.key.unpack_column(keys, count), h.value.unpack_column(values, count), count)

    def lookup(self, key: K, *, lock: bool = False) -> V:
        """``m[key]``, and with *lock* copied under the value's spin lock (BPF_F_LOCK)."""
        if not lock:
            return self[key]
        h = self._handle
        h.check_lock("lock=True")
        raw_key = h.pack_key(key)
        with h.translated(key):
            data = h.call(h.commands.map_lookup_elem, raw_key, h.value_size, uapi.BPF_F_LOCK)
        value: V = h.value.unpack(data)
        return value

    def lookup_many(self, keys: Iterable[K], default: D = None) -> list[V | D]:  # type: ignore[assignment]
        """The value of each key, in order, or *default* where a key is absent.

        Keys are encoded before the first syscall (an unencodable key raises its ``CodecError``).
        The kernel has no batch lookup by key: each is one BPF_MAP_LOOKUP_ELEM, except that many
        keys (a quarter of the capacity or more, given as a collection) of a hash, LRU or array
        map are answered from one batch read of the whole map. Each value is one its key had
        during the call.
        """
        return _batch.lookup_many(self._handle, keys, default)

    @property
    def batch_support(self) -> BatchSupport:
        """Which bulk operations run as one batch syscall on this map, and why the others do not."""
        h = self._handle
        return h.call(BatchSupport.of, int(h.info.type), h.commands.map_batch_probe)

    # -- writing ------------------------------------------------------------------------------

    def put(self, key: K, value: V, flags: UpdateFlags | int = UpdateFlags.ANY) -> None:
        """Write one element; *flags* says whether the key must be new (``NOEXIST``) or present (``EXIST``).

        Raises:
            KeyExistsError: ``NOEXIST`` and the key is in the map.
            KeyNotFoundError: ``EXIST`` and the key is not in the map.
            MapFullError: a new key and the hash map is full.
        """
        bits = _validate.update_flags(flags)
        if bits & UpdateFlags.LOCK:
            self._handle.check_lock("UpdateFlags.LOCK")
        self._write(key, value, bits)

    def __setitem__(self, key: K, value: V) -> None:
        self._write(key, value, 0)

    def _write(self, key: K, value: V, bits: int) -> None:
        h = self._handle
        raw_key, raw_value = h.pack_key(key), h.pack_value(value)
        try:  # not h.translated(): on a per-element path its cost shows next to the syscall's
            h.call(h.commands.map_update_elem, raw_key, raw_value, bits)
        except RawBpfError as exc:
            raise h.error(exc, key, writing=True) from None

    def update_many(
        self,
        items: Mapping[K, V] | Iterable[tuple[K, V]] | Sequence[K],
        values: Sequence[V] | None = None,
        /,
        *,
        flags: UpdateFlags | int = UpdateFlags.ANY,
    ) -> int:
        """Write many elements, with one BPF_MAP_UPDATE_BATCH per chunk where the kernel allows.

        *items* is a mapping, an iterable of (key, value) pairs (a generator or a ``zip`` is
        streamed in chunks of bounded size, each written while the next is read), or a sequence
        of keys with *values* a sequence of as many values ([docs/batch.md#input-shapes](batch.md#input-shapes)). Runs
        element by element for ``NOEXIST``/``EXIST`` (no released kernel takes them in a batch)
        and where ``batch_support.update`` is False; both paths stop at the first failing element
        and leave the elements before it written, as the kernel's batch loop does.

        Returns:
            The number of elements written: all of them.

        Raises:
            BatchUpdateError: an element failed. ``.applied`` elements of this call were written
                before it, ``.failed_key`` was not, and ``__cause__`` is its error
                (``MapFullError``, ``KeyExistsError``, ``KeyNotFoundError``, ``ArrayIndexError``,
                ``CodecError``...). Sized inputs are encoded whole before the first syscall, so
                a value that does not fit its codec fails with ``.applied == 0``.

        Minimum kernel:
            Any; the batch path needs Linux 5.6 (5.13 for per-CPU arrays).
        """
        return _batch.update_many(self._handle, items, values, flags)

    # -- the REPL -----------------------------------------------------------------------------

    def head(self, count: int = 10) -> dict[K, V]:
        """The first *count* elements, in the map's own order (without reading the whole map)."""
        return _display.head(self._handle, count)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's display: the one-line ``repr`` and the first elements, decoded."""
        _display.pretty(self._handle, repr(self), printer, cycle)

    def _ipython_key_completions_(self) -> list[Any]:
        """Keys IPython offers after ``m[``: the first thousand, as ints, strings or tuples of them
        (``%load_ext pybpfmaps.ipython`` completes every key type as Python source instead)."""
        return _display.key_completions(self._handle)

    def __repr__(self) -> str:
        return _display.describe(self._handle, type(self).__name__, self._pin_path)


class _KeysView(KeysView[K]):
    def __init__(self, owner: BpfMap[K, Any]) -> None:
        super().__init__(owner)
        self._owner = owner

    def __iter__(self) -> Iterator[K]:
        return iter(self._owner)  # the map's own iterator, not a generator over it: len() then reads for it


class _ItemsView(ItemsView[K, V]):
    def __init__(self, owner: BpfMap[K, V]) -> None:
        super().__init__(owner)
        self._handle = owner._handle

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return _snapshot.items(self._handle)


class _ValuesView(ValuesView[V]):
    def __init__(self, owner: BpfMap[Any, V]) -> None:
        super().__init__(owner)
        self._handle = owner._handle

    def __iter__(self) -> Iterator[V]:
        return map(itemgetter(1), _snapshot.items(self._handle))
