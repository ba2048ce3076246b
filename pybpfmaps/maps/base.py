"""``BpfMap``: one open map: its fd, its codecs, the read side of the dict protocol, and its lifecycle."""

from __future__ import annotations

import errno
import itertools
import os
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pybpfmaps import btf
from pybpfmaps._sys import commands, uapi
from pybpfmaps._sys.fd import Fd, read_fdinfo
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps._typevars import K, V
from pybpfmaps.codec import Codec, RawCodec, raw
from pybpfmaps.errors import (
    BpfArgumentError,
    CodecError,
    CodecTypeError,
    KeyCollisionError,
    NotSupportedError,
    from_raw,
)
from pybpfmaps.features import BatchSupport
from pybpfmaps.flags import MapFlags, MapType, UpdateFlags
from pybpfmaps.layout import StructCodec, as_codec
from pybpfmaps.maps import _batch, _pins, _reader, _validate
from pybpfmaps.maps._create import create_map
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps.info import MapInfo, pinned_map_id, read_info

if TYPE_CHECKING:
    from typing_extensions import Self

D = TypeVar("D")
T = TypeVar("T")

PRETTY_ENTRIES = 10
"""How many elements IPython shows under a map."""

_O_ACCMODE = 0o3
_ACCESS_NAMES = {os.O_RDONLY: "read-only", os.O_WRONLY: "write-only"}


class BpfMap(Mapping[K, V]):
    """A BPF map seen as a Python mapping from keys to values, both encoded by codecs.

    Open one with a subclass's ``create()``, or with ``from_pin()``, ``from_id()`` or
    ``from_fd()``, which return the subclass matching the kernel's map type. Close it with
    ``close()`` or a ``with`` block; the map itself lives on while the kernel holds a reference
    (a pin, a program, another fd).
    """

    map_type: ClassVar[MapType | None] = None
    """The kernel map type this class wraps."""
    create_flags: ClassVar[MapFlags] = MapFlags.NONE
    """The ``MapFlags`` this map type accepts at creation."""
    _classes: ClassVar[dict[int, type[BpfMap[Any, Any]]]] = {}
    _handle_type: ClassVar[type[MapHandle]] = MapHandle
    """The handle this class works through (``ArrayMap``'s checks and walks indexes)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("map_type") is not None:
            BpfMap._classes[int(cls.__dict__["map_type"])] = cls

    def __init__(self, fd: Fd, info: MapInfo, key: Codec[K], value: Codec[V], pin_path: str | None = None) -> None:
        """Take ownership of *fd*. Use ``create()`` or the ``from_*()`` constructors instead."""
        self._handle = self._handle_type(fd, info, key, self._value_codec(value), type(self).__name__)
        self._pin_path = pin_path
        _check_hashable(key)
        for role, codec, size in (
            ("key", key, info.key_size),
            ("value", self._element(self._handle.value), info.value_size),
        ):
            if codec.size != size:
                raise CodecError(
                    f"{role} codec {codec!r} is {codec.size} bytes but {info.label} has {role}_size {size}"
                )

    # -- constructors -------------------------------------------------------------------------

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
        if cls.map_type is None:
            raise BpfArgumentError(f"{cls.__name__} cannot create maps; use HashMap, LruHashMap or ArrayMap")
        key = as_codec(key, "key")
        value = as_codec(value, "value")
        _check_hashable(key)  # before anything is created
        _validate.codec_size("key", key.size)
        _validate.codec_size("value", value.size)
        kind = cls.map_type.name.lower()
        raw_name = _validate.map_name(name)
        bits = _validate.create_flags(flags, cls.create_flags, kind)
        entries = _validate.max_entries(max_entries)
        label = f"new {kind} map '{name}'" if name else f"new {kind} map"
        number = create_map(int(cls.map_type), key, value, entries, bits, raw_name, label, btf)
        access = "read-only" if bits & MapFlags.RDONLY else "write-only" if bits & MapFlags.WRONLY else None
        return cls._adopt(Fd(number, f"new {kind} map"), key, value, None, created_access=access)

    @classmethod
    def from_fd(
        cls,
        fd: int,
        *,
        key: Codec[Any] | type | None = None,
        value: Codec[Any] | type | None = None,
        btf: bool = True,
    ) -> Self:
        """Open the map behind a descriptor you own; the map object keeps its own duplicate.

        Returns the subclass for the kernel's map type. Keys and values without a codec given get
        one from the map's BTF if it has some (and *btf* is true: typed structs, enums, strings),
        else ``raw`` bytes of the map's sizes (``u32`` indexes for arrays).
        """
        try:
            fields = read_fdinfo(fd)
        except (OSError, ValueError, TypeError):
            raise BpfArgumentError(f"fd {fd!r} is not an open file descriptor") from None
        if "map_type" not in fields:
            raise BpfArgumentError(f"fd {fd} is not a BPF map")
        return cls._adopt(Fd(os.dup(fd), f"map fd {fd}"), key, value, None, btf=btf)

    @classmethod
    def from_pin(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        writeonly: bool = False,
        key: Codec[Any] | type | None = None,
        value: Codec[Any] | type | None = None,
        btf: bool = True,
    ) -> Self:
        """Open a map pinned on a bpf filesystem; ``unpin()`` then removes that pin.

        *readonly*/*writeonly* ask the kernel for an fd that can only read or only write. Codecs
        not given come from the map's BTF, as for ``from_fd``.
        """
        file_flags = _validate.access(readonly, writeonly)
        text = _validate.pin_path(path)
        try:
            number = commands.obj_get(os.fsencode(text), file_flags)
        except RawBpfError as exc:
            hint: str | None = None
            if exc.errno in (errno.EPERM, errno.EACCES):
                hint = _pins.open_refused(text, exc.errno, readonly, exc.command)
            else:
                hint = f"nothing pinned at {text!r}" if exc.errno == errno.ENOENT else None
            raise from_raw(exc, map_label=f"pin {text!r}", hint=hint) from None
        fd = Fd(number, f"map pinned at {text!r}")
        if "map_type" not in read_fdinfo(number):
            fd.close()
            raise BpfArgumentError(f"{text!r} is a pinned BPF object but not a map")
        return cls._adopt(fd, key, value, text, btf=btf)

    @classmethod
    def from_id(
        cls,
        map_id: int,
        *,
        readonly: bool = False,
        writeonly: bool = False,
        key: Codec[Any] | type | None = None,
        value: Codec[Any] | type | None = None,
        btf: bool = True,
    ) -> Self:
        """Open a map by its kernel id (``info.id``, ``bpftool map list``); needs CAP_SYS_ADMIN.

        Codecs not given come from the map's BTF, as for ``from_fd``.
        """
        open_flags = _validate.access(readonly, writeonly)
        if not isinstance(map_id, int) or isinstance(map_id, bool) or not 0 < map_id < 1 << 31:
            raise BpfArgumentError(f"map_id must be a positive int, got {map_id!r}")
        try:
            number = commands.map_get_fd_by_id(map_id, open_flags)
        except RawBpfError as exc:
            hint = f"no map with id {map_id}" if exc.errno == errno.ENOENT else None
            raise from_raw(exc, map_label=f"map id {map_id}", hint=hint) from None
        return cls._adopt(Fd(number, f"map id {map_id}"), key, value, None, btf=btf)

    @classmethod
    def _adopt(
        cls,
        fd: Fd,
        key: Codec[Any] | type | None,
        value: Codec[Any] | type | None,
        pin_path: str | None,
        created_access: str | None = None,
        btf: bool = True,
    ) -> Self:
        """Wrap an fd we own in the subclass for its map type; close it if that fails."""
        try:
            info = read_info(fd.fileno())
            subclass = BpfMap._classes.get(int(info.type))
            if subclass is None:
                raise NotSupportedError(
                    None,
                    f"pybpfmaps has no class for {info.type_name} maps yet",
                    command=None,
                    map_label=info.label,
                )
            if not issubclass(subclass, cls):
                raise BpfArgumentError(
                    f"map id {info.id} is a {info.type_name} map; open it with {subclass.__name__} or BpfMap"
                )
            typed = _btf_codecs(info) if btf and (key is None or value is None) else (None, None)
            key_from_btf = subclass._typed_key(typed[0], info) if typed[0] is not None else None
            key_codec = as_codec(key, "key") if key is not None else key_from_btf or subclass._default_key(info)
            value_codec: Codec[Any] = (
                as_codec(value, "value") if value is not None else typed[1] or raw(info.value_size)
            )
            instance = subclass(fd, info, key_codec, value_codec, pin_path)
        except RawBpfError as exc:
            fd.close()
            raise from_raw(exc, map_label=fd.label) from None
        except BaseException:
            fd.close()
            raise
        instance._handle.created_access = created_access
        return instance

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        return raw(info.key_size)

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

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._handle.fd.closed

    def close(self) -> None:
        """Release this object's fd; safe to call twice. The map lives on while the kernel holds it."""
        self._handle.fd.close()

    def fileno(self) -> int:
        """The map's file descriptor, for passing to other libraries (still owned by this object)."""
        return self._handle.live_fd()

    def __enter__(self) -> Self:
        self._handle.live_fd()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(f"cannot pickle {type(self).__name__}: pin the map and open it with from_pin() instead")

    @property
    def key_codec(self) -> Codec[K]:
        """The codec of the keys."""
        return self._handle.key

    @property
    def value_codec(self) -> Codec[V]:
        """The codec of the values."""
        return self._handle.value

    @property
    def max_entries(self) -> int:
        """The map's capacity."""
        return self._handle.info.max_entries

    @property
    def name(self) -> str:
        """The map's kernel name (at most 15 characters)."""
        return self._handle.info.name

    @property
    def id(self) -> int:
        """The map's kernel id."""
        return self._handle.info.id

    @property
    def pin_path(self) -> str | None:
        """Where this object pinned the map, or the path it was opened from."""
        return self._pin_path

    @property
    def info(self) -> MapInfo:
        """A fresh ``MapInfo`` from the kernel (``frozen`` included)."""
        try:
            return self._handle.call(read_info)
        except RawBpfError as exc:
            raise self._handle.error(exc) from None

    def pin(self, path: str | os.PathLike[str]) -> None:
        """Pin the map at *path* on a bpf filesystem (``mount -t bpf bpf DIR``), so it outlives this process."""
        text = _validate.pin_path(path)
        try:
            self._handle.call(commands.obj_pin, os.fsencode(text))
        except RawBpfError as exc:
            hints = {errno.ENOENT: f"the directory of {text!r} does not exist"}
            if exc.errno == errno.EEXIST:
                try:
                    pinned_id = pinned_map_id(text)
                except RawBpfError:  # not a pin, or one we may not open
                    pinned_id = None
                hints[errno.EEXIST] = _pins.already_there(text, pinned_id, self._handle.info.id)
            if exc.errno in (errno.EPERM, errno.EACCES):
                hints[exc.errno] = _pins.pin_refused(text, exc.errno, exc.command)
            raise self._handle.error(exc, hint=hints.get(exc.errno or 0, f"path {text!r}")) from None
        self._pin_path = text

    def unpin(self) -> None:
        """Remove the pin this object made or was opened from, after checking it still names this map.

        A path that leads to the pin through symbolic links removes the pin itself, not the links.
        """
        path = self._pin_path
        if path is None:
            raise BpfArgumentError(f"{self._handle.label} was not pinned or opened from a pin by this object")
        self._handle.live_fd()
        pin = os.path.realpath(path)
        try:
            pinned_id = pinned_map_id(pin)
        except RawBpfError as exc:
            raise from_raw(exc, map_label=self._handle.label, hint=f"nothing pinned at {path!r} any more") from None
        if pinned_id != self._handle.info.id:
            raise BpfArgumentError(f"{path!r} now pins another map than {self._handle.label}; left in place")
        os.unlink(pin)
        self._pin_path = None

    def freeze(self) -> None:
        """Forbid all further writes from user space, for good (BPF programs may still write).

        Freezing a frozen map does nothing. Needs a writable fd.
        """
        self._handle.live_fd()
        if self._handle.fd_state()[1]:
            return
        try:
            self._handle.call(commands.map_freeze)
        except RawBpfError as exc:
            raise self._handle.error(exc, writing=True) from None

    # -- reading ------------------------------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        h = self._handle
        raw_key = h.pack_key(key)
        try:
            data = h.call(h.commands.map_lookup_elem, raw_key, h.value_size)
        except RawBpfError as exc:
            raise h.error(exc, key) from None
        value: V = h.value.unpack(data)
        return value

    def __contains__(self, key: object) -> bool:
        raw_key = self._handle.pack_key(key)
        return self._handle.lookup_raw(raw_key) is not None

    def __iter__(self) -> Iterator[K]:
        """The keys, read a chunk at a time with BPF_MAP_LOOKUP_BATCH (Linux 5.6+), else walked one by one.

        Each key comes at most once, and every key that stays in the map meanwhile comes; see
        docs/api.md#iteration. Deleting the keys you are handed is safe.
        """
        if self._handle.batch_works("lookup"):
            unpack_many = self._handle.key.unpack_many
            chunks = (unpack_many(packed_keys, count) for packed_keys, _, count in _reader.read_batches(self._handle))
            return itertools.chain.from_iterable(chunks)
        return map(self._handle.key.unpack, self._handle.raw_keys())

    def __bool__(self) -> bool:
        """Whether the map holds any key: one syscall, not a count."""
        return self._handle.next_raw_key(None) is not None

    def __len__(self) -> int:
        """The number of keys, counted by reading the map (batch reads on Linux 5.6+, else O(n) syscalls)."""
        if self._handle.batch_works("lookup"):
            return sum(count for _, _, count in _reader.read_batches(self._handle))
        return sum(1 for _ in self._handle.raw_keys())

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
        snapshot: dict[K, V] = {}
        read = 0
        if self._handle.batch_works("lookup"):
            unpack_keys, unpack_values = self._handle.key.unpack_many, self._handle.value.unpack_many
            for packed_keys, packed_values, count in _reader.read_batches(self._handle, lock=lock):
                snapshot.update(zip(unpack_keys(packed_keys, count), unpack_values(packed_values, count), strict=True))
                read += count
        else:
            for key, value in self._walk_items(lock):
                snapshot[key] = value
                read += 1
        if len(snapshot) != read:
            self._check_collisions()
        return snapshot

    def _check_collisions(self) -> None:
        """Raise ``KeyCollisionError`` if distinct keys of the map decode equal (a read that met a key
        twice, as a trie's walk can while others write, is no collision)."""
        seen: dict[Any, bytes] = {}
        for raw_key in self._handle.raw_keys():
            key = self._handle.key.unpack(raw_key)
            if key in seen and seen[key] != raw_key:
                raise KeyCollisionError(
                    f"{self._handle.label}: keys {seen[key]!r} and {raw_key!r} both decode to {key!r}, so one dict "
                    "cannot hold both; open the map with a raw key codec to tell them apart",
                    [seen[key], raw_key],
                )
            seen[key] = raw_key

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

        Keys are encoded before the first syscall (an unencodable key raises its ``CodecError``);
        each is then one BPF_MAP_LOOKUP_ELEM, since the kernel has no batch lookup by key.
        """
        return _batch.lookup_many(self._handle, keys, default)

    @property
    def batch_support(self) -> BatchSupport:
        """Which bulk operations run as one batch syscall on this map, and why the others do not."""
        return self._handle.call(BatchSupport.of, int(self._handle.info.type), self._handle.commands.map_batch_probe)

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
        raw_key = self._handle.pack_key(key)
        raw_value = self._handle.pack_value(value)
        try:
            self._handle.call(self._handle.commands.map_update_elem, raw_key, raw_value, bits)
        except RawBpfError as exc:
            raise self._handle.error(exc, key, writing=True) from None

    def update_many(
        self,
        items: Mapping[K, V] | Iterable[tuple[K, V]] | Sequence[K],
        values: Sequence[V] | None = None,
        /,
        *,
        flags: UpdateFlags | int = UpdateFlags.ANY,
    ) -> int:
        """Write many elements, with one BPF_MAP_UPDATE_BATCH per chunk where the kernel allows.

        *items* is a mapping, an iterable of (key, value) pairs (a generator is streamed in chunks
        of bounded size), or a sequence of keys with *values* a sequence of as many values. Runs
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

    # -- shared helpers -----------------------------------------------------------------------

    def _iter_items(self, lock: bool = False) -> Iterator[tuple[K, V]]:
        """(key, value) pairs: batch reads where the kernel has them, else the walk."""
        if self._handle.batch_works("lookup"):
            return itertools.chain.from_iterable(self._item_chunks(lock))  # no Python frame per element
        return self._walk_items(lock)

    def _item_chunks(self, lock: bool) -> Iterator[Iterator[tuple[K, V]]]:
        unpack_keys, unpack_values = self._handle.key.unpack_many, self._handle.value.unpack_many
        for packed_keys, packed_values, count in _reader.read_batches(self._handle, lock=lock):
            yield zip(unpack_keys(packed_keys, count), unpack_values(packed_values, count), strict=True)

    def _walk_items(self, lock: bool = False) -> Iterator[tuple[K, V]]:
        """(key, value) pairs by GET_NEXT_KEY and LOOKUP_ELEM, skipping keys deleted in between."""
        unpack_key, unpack_value = self._handle.key.unpack, self._handle.value.unpack
        for raw_key in self._handle.raw_keys():
            data = self._handle.lookup_raw(raw_key, uapi.BPF_F_LOCK if lock else 0)
            if data is not None:
                yield unpack_key(raw_key), unpack_value(data)

    def head(self, count: int = 10) -> dict[K, V]:
        """The first *count* elements, in the map's own order (without reading the whole map)."""
        unpack_key, unpack_value = self._handle.key.unpack, self._handle.value.unpack
        first: dict[K, V] = {}
        for raw_key in itertools.islice(self._handle.raw_keys(), count):
            data = self._handle.lookup_raw(raw_key)
            if data is not None:
                first[unpack_key(raw_key)] = unpack_value(data)
        return first

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's display: the one-line ``repr`` and the first elements, decoded."""
        printer.text(repr(self))
        if cycle or self._handle.fd.closed:
            return
        shown = self.head(PRETTY_ENTRIES + 1)
        with printer.indent(2):
            for index, (key, value) in enumerate(shown.items()):
                printer.break_()
                printer.text("..." if index == PRETTY_ENTRIES else f"{key!r}: {value!r}")

    def _ipython_key_completions_(self) -> list[K]:
        """Keys IPython offers after ``m[`` (the first thousand)."""
        return [self._handle.key.unpack(raw_key) for raw_key in itertools.islice(self._handle.raw_keys(), 1000)]

    def __repr__(self) -> str:
        info = self._handle.info
        parts = [
            f"<{type(self).__name__}",
            repr(info.name) if info.name else "(unnamed)",
            f"id={info.id}",
            f"key={self._handle.key!r}",
            f"value={self._handle.value!r}",
            f"max_entries={info.max_entries}",
        ]
        if self._handle.fd.closed:
            parts.append("closed")
        else:
            mode, frozen = self._handle.fd_state()
            access = self._handle.created_access or _ACCESS_NAMES.get(mode if mode is not None else os.O_RDWR)
            if access:
                parts.append(access)
            if frozen:
                parts.append("frozen")
        if self._pin_path:
            parts.append(f"pinned at {self._pin_path!r}")
        return " ".join(parts) + ">"


def _check_hashable(key: Codec[Any]) -> None:
    if isinstance(key, StructCodec) and not key.hashable:
        raise CodecTypeError(
            f"key class {key.name} is not hashable, so its instances cannot be dict keys: use @attrs.frozen"
        )


def _btf_codecs(info: MapInfo) -> tuple[Codec[Any] | None, Codec[Any] | None]:
    """Codecs for a map's keys and values from its BTF, where it has some.

    Never fails: BTF that cannot be read (no CAP_SYS_ADMIN, say) or typed gives ``raw`` codecs
    whose ``reason`` says why.
    """
    if not info.btf_id:
        return None, None
    try:
        decoder = btf.decoder(info.btf_id)
    except Exception as exc:  # whatever another program's BTF does, the map opens
        reason = f"its BTF (id {info.btf_id}) cannot be read: {exc}"
        return (
            RawCodec(info.key_size, reason=reason) if info.btf_key_type_id else None,
            RawCodec(info.value_size, reason=reason) if info.btf_value_type_id else None,
        )
    key = decoder.codec(info.btf_key_type_id, info.key_size) if info.btf_key_type_id else None
    value = decoder.codec(info.btf_value_type_id, info.value_size) if info.btf_value_type_id else None
    return key, value


class _ItemsView(ItemsView[K, V]):
    def __init__(self, owner: BpfMap[K, V]) -> None:
        super().__init__(owner)
        self._owner = owner

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return self._owner._iter_items()


class _ValuesView(ValuesView[V]):
    def __init__(self, owner: BpfMap[Any, V]) -> None:
        super().__init__(owner)
        self._owner = owner

    def __iter__(self) -> Iterator[V]:
        return map(itemgetter(1), self._owner._iter_items())
