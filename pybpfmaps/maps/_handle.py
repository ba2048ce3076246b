"""``MapHandle``: one open map as the kernel sees it; every map class and every bulk operation works through it.

A handle owns the map's fd, its ``MapInfo``, its key and value codecs and its label, and it is
the one place that

* holds the fd open while a syscall runs (``call``, ``acquire``/``release``), so that ``close()``
  from another thread never lets a syscall reach a reused fd number;
* turns a failed command into the right exception with its context (``translated``, ``error``),
  explaining EPERM by what this fd and map allow (``_permissions``);
* encodes keys and values with messages that name the map (``pack_key``...), and walks the keys;
* holds the chunk policy of bulk operations (``chunks``) and the kernel commands it calls
  (``commands``: ``pybpfmaps._sys.commands``, or a fake kernel in unit tests).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import attrs

from pybpfmaps import features
from pybpfmaps._sys import commands as kernel_commands
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import holds_spin_lock
from pybpfmaps.errors import (
    BpfArgumentError,
    BpfError,
    ClosedMapError,
    CodecError,
    KeyNotFoundError,
    from_raw,
)
from pybpfmaps.maps import _iter, _permissions
from pybpfmaps.maps.info import MapInfo

T = TypeVar("T")


@attrs.frozen
class ChunkPolicy:
    """How many elements a bulk operation hands the kernel per syscall.

    Writes (``update_many``, ``delete_many``) go by at most ``write_elements`` and about
    ``write_bytes`` of keys and values; reads (iteration, ``copy``, ``drain``, ``pop_many``) by at
    most ``read_elements`` and ``read_bytes``, and never more than the map can hold.
    """

    write_elements: int = 1 << 16
    write_bytes: int = 4 << 20
    read_elements: int = 1 << 18
    read_bytes: int = 16 << 20

    def write(self, key_size: int, value_size: int) -> int:
        """Elements per batch write."""
        return max(1, min(self.write_elements, self.write_bytes // (key_size + value_size)))

    def read(self, key_size: int, value_size: int, capacity: int) -> int:
        """Elements per batch read of a map of *capacity* elements."""
        return max(1, min(self.read_elements, self.read_bytes // (key_size + value_size), capacity))


CHUNKS = ChunkPolicy()
"""The chunk policy of handles made from now on (tests make chunks small to cross their edges)."""


class MapHandle:
    """An open map: fd, info, codecs, label; syscalls with the fd held, errors with context."""

    __slots__ = (
        "chunks", "commands", "created_access", "fd", "info", "key", "kind", "label", "recent", "unbegun", "use_batch",
        "value", "value_size",
    )  # fmt: skip

    def __init__(self, fd: Fd, info: MapInfo, key: Codec[Any], value: Codec[Any], kind: str) -> None:
        self.fd = fd
        self.info = info
        self.key = key
        self.value = value  # what user space reads and writes per element (per-CPU: every CPU's)
        self.value_size = value.size
        self.label = info.label
        self.kind = kind  # the class name, for "operation on closed HashMap (...)"
        self.created_access: str | None = None
        self.chunks = CHUNKS
        self.commands: Any = kernel_commands
        self.use_batch = True  # False: element by element always, as on kernels without batch commands
        self.recent: Iterator[tuple[Any, Any]] | None = None  # m[key] right after a pass over the keys (_keypass)
        self.unbegun: Any = None  # the last pass over the keys, made and not begun, that len() may read for
        fd.label = self.label

    # -- the fd ---------------------------------------------------------------------------------

    def closed_error(self) -> ClosedMapError:
        return ClosedMapError(f"operation on closed {self.kind} ({self.label})")

    def live_fd(self) -> int:
        """The fd number, for a check that the map is open; syscalls go through ``call``/``acquire``."""
        number = self.fd.fileno()
        if number < 0:
            raise self.closed_error()
        return number

    def acquire(self) -> int:
        """The fd number, kept open (even by a ``close()`` in another thread) until ``release()``."""
        self.recent = None
        number = self.fd.acquire()
        if number < 0:
            raise self.closed_error()
        return number

    def release(self) -> None:
        self.fd.release()

    def call(self, command: Callable[..., T], *args: Any) -> T:
        """``command(fd, *args)`` with the fd held open for the duration of the syscall."""
        self.recent = None
        number = self.fd.acquire()
        if number < 0:
            raise self.closed_error()
        try:
            return command(number, *args)
        finally:
            self.fd.release()

    # -- errors ---------------------------------------------------------------------------------

    def error(
        self, exc: RawBpfError, key: object = None, *, writing: bool = False, hint: str | None = None
    ) -> BpfError:
        """The exception for a failed command on this map, explaining EPERM by what this fd and map allow."""
        if hint is None and exc.errno in (errno.EPERM, errno.EACCES):
            hint = self.permission_hint(writing)
        return from_raw(exc, map_label=self.label, key=None if key is None else repr(key), hint=hint)

    def translated(self, key: object = None, *, writing: bool = False, hint: str | None = None) -> _Translated:
        """A ``with`` block whose failed command raises the exception ``error()`` gives for it."""
        return _Translated(self, key, writing, hint)

    def fd_state(self) -> tuple[int | None, bool]:
        """This fd's access mode (``os.O_RDONLY``/``O_WRONLY``/``O_RDWR``) and whether the map is frozen."""
        return _permissions.fd_state(self.fd)

    def permission_hint(self, writing: bool) -> str:
        """Why this map refused a read or a write (see ``_permissions``)."""
        return _permissions.refusal_reason(self.fd, writing, self.created_access)

    # -- encoding -------------------------------------------------------------------------------

    def pack_key(self, key: Any) -> bytes:
        try:
            return self.key.pack(key)
        except CodecError as exc:
            raise type(exc)(f"bad key for {self.label}: {exc}") from None

    def pack_keys(self, keys: Sequence[Any]) -> bytes:
        """Many keys, encoded into one buffer (``BpfArgumentError`` if any does not fit)."""
        return self.key.pack_many(keys)

    def pack_value(self, value: Any) -> bytes:
        try:
            return self.value.pack(value)
        except CodecError as exc:
            raise type(exc)(f"bad value for {self.label}: {exc}") from None

    def check_lock(self, what: str) -> None:
        """Refuse *what* (``UpdateFlags.LOCK``, ``lock=True``) on values without a spin lock."""
        if not holds_spin_lock(self.value):
            raise BpfArgumentError(
                f"{what} on {self.label}: its values have no spin_lock field (struct bpf_spin_lock) to take"
            )

    # -- commands shared by the map classes and the bulk operations -----------------------------

    def batch_works(self, name: str) -> bool:
        """Whether batch command *name* (``"update"``, ``"lookup"``...) is known to work on this map."""
        if not self.use_batch:
            return False
        probe = self.commands.map_batch_probe
        answer = self.call(features.batch, int(self.info.type), name, probe)
        return answer is features.Probe.SUPPORTED

    def lookup_raw(self, raw_key: bytes, flags: int = 0) -> bytes | None:
        """The value's bytes, or ``None`` if the key is absent."""
        try:
            data: bytes = self.call(self.commands.map_lookup_elem, raw_key, self.value_size, flags)
        except RawBpfError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise self.error(exc, self.key.unpack(raw_key)) from None
        return data

    def next_raw_key(self, raw_key: bytes | None) -> bytes | None:
        try:  # not translated(): once per key of a walk, its cost would show
            following: bytes | None = self.call(self.commands.map_get_next_key, raw_key, self.info.key_size)
        except RawBpfError as exc:
            raise self.error(exc) from None
        return following

    def raw_keys(self) -> Iterator[bytes]:
        """Every key once, walked with GET_NEXT_KEY (see ``_iter``)."""

        def is_present(raw_key: bytes) -> bool:
            return self.lookup_raw(raw_key) is not None

        return _iter.walk_keys(self.next_raw_key, is_present, self.info.max_entries, self.label)

    def pop_raw(self, raw_key: bytes, key: object, flags: int = 0) -> bytes:
        """Remove a key and return its value's bytes: BPF_MAP_LOOKUP_AND_DELETE_ELEM where the map
        type has it, else a lookup then a delete (*flags*: BPF_F_LOCK copies the value under its lock)."""
        map_type = int(self.info.type)
        if features.atomic_pop(map_type):
            try:
                data: bytes = self.call(self.commands.map_lookup_and_delete_elem, raw_key, self.value_size, flags)
            except RawBpfError as exc:
                if not features.not_supported(exc.errno):
                    raise self.error(exc, key, writing=True) from None
                features.no_atomic_pop(map_type)
            else:
                return data
        found = self.lookup_raw(raw_key, flags)
        if found is None:
            message = f"key not found: {key!r}"
            raise KeyNotFoundError(errno.ENOENT, message, command="BPF_MAP_LOOKUP_ELEM", map_label=self.label)
        try:
            self.call(self.commands.map_delete_elem, raw_key)
        except RawBpfError as exc:
            raise self.error(exc, key, writing=True) from None
        return found


class _Translated:
    """``MapHandle.translated()`` (a plain class: cheaper than ``contextlib.contextmanager``). Paths run
    once per element use a ``try`` of their own, which costs less still."""

    __slots__ = ("handle", "hint", "key", "writing")

    def __init__(self, handle: MapHandle, key: object, writing: bool, hint: str | None) -> None:
        self.handle, self.key, self.writing, self.hint = handle, key, writing, hint

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, RawBpfError):
            raise self.handle.error(exc, self.key, writing=self.writing, hint=self.hint) from None
