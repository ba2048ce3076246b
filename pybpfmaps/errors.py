"""Everything pybpfmaps raises, and ``from_raw()``: the one table from a kernel errno to an exception.

The tree::

    BpfError                                 base of everything pybpfmaps raises
    ├── BpfSyscallError(OSError)             a bpf(2) command failed; .errno, .command, .map_label
    │   ├── KeyNotFoundError(KeyError)       ENOENT for a key: dict idioms (get, in, pop) work
    │   ├── KeyExistsError                   EEXIST: UpdateFlags.NOEXIST and the key is there
    │   ├── MapFullError                     E2BIG on insert: the hash map holds max_entries keys
    │   ├── MapEmptyError(IndexError)        pop or peek of an empty queue or stack (ENOENT)
    │   ├── MapNotFoundError(FileNotFoundError)  no map at that pin path or with that id
    │   ├── BpfPermissionError(PermissionError)  EPERM/EACCES: privileges, read-only fd, frozen map
    │   └── VerifierError                    BPF_PROG_LOAD refused a program, BPF_BTF_LOAD a map's BTF; .log
    ├── NotSupportedError(OSError)           the kernel or the map type lacks the operation (524, EOPNOTSUPP)
    ├── BpfArgumentError(ValueError)         a bad argument, caught before any syscall
    │   ├── CodecError                       a key or value does not fit its codec
    │   │   └── CodecTypeError(TypeError)    ... because it has the wrong Python type
    │   └── ArrayIndexError(IndexError, KeyError)  an array index outside 0..max_entries-1
    ├── ClosedMapError(ValueError)           an operation on a closed map
    ├── IterationAbortedError(RuntimeError)  a key walk gave up on a map changing too fast
    ├── KeyCollisionError(ValueError)        distinct keys in the map decode to equal Python keys
    └── BatchError                           a bulk operation stopped; .applied, .failed_key, __cause__
        ├── BatchUpdateError                 update_many stopped at an element, or its input raised
        └── BatchDeleteError                 delete_many stopped at an element
            └── DrainError                   drain/pop_many stopped; .removed holds what they removed

    BatchInterrupted(KeyboardInterrupt)      Ctrl-C stopped a bulk operation; .applied is exact

Messages name the command and the map, e.g.
``[Errno 2] BPF_MAP_LOOKUP_ELEM on hash map 'flows' (id 42): key not found: 5``.
"""

from __future__ import annotations

import errno as errno_codes

from pybpfmaps import features
from pybpfmaps._sys import uapi
from pybpfmaps._sys.syscall import RawBpfError

PRIVILEGE_HINT = "bpf(2) needs root or CAP_BPF (CAP_SYS_ADMIN on kernels before 5.8)"
_BY_ID = frozenset({"BPF_MAP_GET_FD_BY_ID", "BPF_MAP_GET_NEXT_ID", "BPF_BTF_GET_FD_BY_ID", "BPF_PROG_GET_FD_BY_ID"})
_CREATING = frozenset({"BPF_MAP_CREATE", "BPF_BTF_LOAD"})


def privilege_hint(command: str | None) -> str:
    """What a refused *command* needs: CAP_SYS_ADMIN to reach objects by id, CAP_BPF (or root) to create them."""
    if command in _BY_ID:
        return "reaching BPF objects by id needs CAP_SYS_ADMIN (root); open a pinned map by its path instead"
    if command in _CREATING:
        return f"{PRIVILEGE_HINT}{_unprivileged_setting()}"
    if command == "BPF_PROG_LOAD":
        return (
            "loading programs needs root, or CAP_BPF plus CAP_NET_ADMIN for network programs (XDP, tc) "
            f"or CAP_PERFMON for tracing ones{_unprivileged_setting()}"
        )
    return PRIVILEGE_HINT


def _unprivileged_setting() -> str:
    try:
        with open("/proc/sys/kernel/unprivileged_bpf_disabled", "rb") as setting:  # bytes: no codec lookup
            value = setting.read().strip().decode()
    except OSError:
        return ""
    return f"; kernel.unprivileged_bpf_disabled is {value} here" if value != "0" else ""


class BpfError(Exception):
    """Base class of every exception pybpfmaps raises."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _CommandError(OSError):
    """An ``OSError`` that also knows the bpf(2) command and the map it was about."""

    def __init__(self, err: int | None, message: str, *, command: str | None, map_label: str | None) -> None:
        OSError.__init__(self, err, message)
        self.command = command
        self.map_label = map_label

    def __str__(self) -> str:
        return _format(self.errno, self.strerror, self.command, self.map_label)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.errno, self.strerror, self.command, self.map_label))


class BpfSyscallError(_CommandError, BpfError):
    """A ``bpf(2)`` command failed.

    Attributes:
        errno: The kernel's errno.
        command: The command's kernel name, e.g. ``"BPF_MAP_UPDATE_ELEM"``.
        map_label: Which map, e.g. ``"hash map 'flows' (id 42)"``, or ``None``.
    """


class KeyNotFoundError(BpfSyscallError, KeyError):
    """The key is not in the map (ENOENT). Also a ``KeyError``."""


class KeyExistsError(BpfSyscallError):
    """The key is already in the map and ``UpdateFlags.NOEXIST`` was asked for (EEXIST)."""


class MapFullError(BpfSyscallError):
    """A new key does not fit: the hash map already holds ``max_entries`` keys (the kernel's E2BIG)."""


class MapEmptyError(BpfSyscallError, IndexError):
    """``pop()`` or ``peek()`` of an empty queue or stack (ENOENT). Also an ``IndexError``, as a
    ``deque``'s ``pop()`` of nothing raises."""


class MapNotFoundError(BpfSyscallError, FileNotFoundError):
    """No map at that pin path, or no map with that id (ENOENT)."""


class BpfPermissionError(BpfSyscallError, PermissionError):
    """The kernel refused (EPERM/EACCES): missing privileges, a read-only or write-only fd, or a frozen map."""


class VerifierError(BpfSyscallError):
    """The kernel refused to load a program, or the BTF a new map needs; ``log`` holds what it said."""

    log: str = ""


class NotSupportedError(_CommandError, BpfError):
    """The running kernel, or this map type, does not support the operation.

    Attributes:
        errno: 524 (the kernel's ENOTSUPP) or EOPNOTSUPP when the kernel said so; ``None`` when
            pybpfmaps knows the answer without asking.
        command: The command's kernel name, or ``None``.
        map_label: Which map, or ``None``.
    """


class BpfArgumentError(BpfError, ValueError):
    """An argument was rejected before any syscall: nothing reached the kernel."""


class CodecError(BpfArgumentError):
    """A key or value does not fit the map's codec (size, range or type)."""


class CodecTypeError(CodecError, TypeError):
    """A key or value has a Python type its codec cannot encode."""


class ArrayIndexError(BpfArgumentError, IndexError, KeyError):
    """An array map index outside ``0..max_entries-1``. Also an ``IndexError`` and a ``KeyError``."""


class ClosedMapError(BpfError, ValueError):
    """The map object was closed; open the map again to use it."""


class IterationAbortedError(BpfError, RuntimeError):
    """A key walk took more steps than its bound because other writers kept changing the map."""


class KeyCollisionError(BpfError, ValueError):
    """Two keys that differ in the map decode to equal Python keys, so one ``dict`` cannot hold both.

    pybpfmaps' own codecs never do that (each decodes distinct bytes to distinct values); a codec
    of your own, an attrs layout reading garbage another writer left in its padding, or floats
    (``-0.0 == 0.0``) can. ``copy()`` raises it; ``drain()``/``pop_many()`` carry such elements as
    bytes in ``DrainError.undecoded``. Iteration yields every key regardless.

    Attributes:
        raw_keys: The bytes of keys that decode equal (at least two).
    """

    raw_keys: list[bytes]

    def __init__(self, message: str, raw_keys: list[bytes]) -> None:
        super().__init__(message)
        self.raw_keys = raw_keys


class BatchError(BpfError):
    """A bulk operation stopped at one element, as the kernel's batch commands do.

    Attributes:
        applied: How many elements of this call took effect before it stopped (across chunks).
        failed_key: The key of the element that failed (``None`` when the input itself raised).
        __cause__: That element's error, e.g. ``MapFullError`` or ``KeyNotFoundError``.
    """

    def __init__(
        self,
        operation: str,
        map_label: str,
        applied: int,
        failed_key: object,
        cause: BaseException,
        *,
        input_failed: bool = False,
    ) -> None:
        where = "" if input_failed else f" at key {failed_key!r}"
        why = f"the input raised {type(cause).__name__}: {cause}" if input_failed else str(cause)
        super().__init__(f"{operation} on {map_label} stopped{where} after {applied} element(s) took effect: {why}")
        self.operation = operation
        self.map_label = map_label
        self.applied = applied
        self.failed_key = failed_key

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_batch, (type(self), self.args[0], dict(self.__dict__)))


class BatchUpdateError(BatchError):
    """``update_many`` stopped: ``.applied`` elements were written, ``.failed_key`` was not."""


class BatchDeleteError(BatchError):
    """``delete_many`` stopped: ``.applied`` keys were deleted, ``.failed_key`` was not."""


class DrainError(BatchDeleteError):
    """``drain()``/``pop_many()`` stopped after removing elements, or could not decode some; none is lost.

    Attributes:
        removed: The elements removed before it stopped, decoded (a ``dict``).
        undecoded: Removed elements whose bytes the codecs refused, as ``(key bytes, value bytes)``.
    """

    removed: dict[object, object]
    undecoded: list[tuple[bytes, bytes]]


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a bulk operation; it says exactly how far it got.

    A ``KeyboardInterrupt``, so ``except Exception`` does not catch it. While a batch syscall and
    the count of what it did are in progress, pybpfmaps holds SIGINT back (in the main thread,
    when Python's default handler is installed), so the count is exact.

    Attributes:
        operation: ``"update_many"``, ``"delete_many"``, ``"drain"``...
        map_label: Which map.
        applied: How many elements were written or deleted before the interruption.
        removed: For ``drain()`` and ``pop_many()``: the elements removed so far (else ``None``).
        undecoded: Removed elements whose bytes the codecs refused, as ``(key bytes, value bytes)``.
    """

    def __init__(
        self,
        operation: str,
        map_label: str,
        applied: int,
        removed: dict[object, object] | None = None,
        undecoded: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__(f"{operation} on {map_label} interrupted after {applied} element(s) took effect")
        self.operation = operation
        self.map_label = map_label
        self.applied = applied
        self.removed = removed
        self.undecoded = undecoded or []

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_batch, (type(self), self.args[0], dict(self.__dict__)))


def _format(err: int | None, message: str | None, command: str | None, map_label: str | None) -> str:
    where = " ".join(part for part in (command, f"on {map_label}" if map_label else None) if part)
    text = f"{where}: {message}" if where else str(message)
    return text if err is None else f"[Errno {err}] {text}"


def _rebuild(
    cls: type[_CommandError],
    err: int | None,
    message: str,
    command: str | None,
    map_label: str | None,
) -> _CommandError:
    return cls(err, message, command=command, map_label=map_label)


def _rebuild_batch(
    cls: type[BatchError | BatchInterrupted], message: str, state: dict[str, object]
) -> BatchError | BatchInterrupted:
    error = cls.__new__(cls)
    error.args = (message,)
    error.__dict__.update(state)
    return error


_KEY_COMMANDS = frozenset(
    {
        uapi.BPF_MAP_LOOKUP_ELEM,
        uapi.BPF_MAP_UPDATE_ELEM,
        uapi.BPF_MAP_DELETE_ELEM,
        uapi.BPF_MAP_LOOKUP_AND_DELETE_ELEM,
        uapi.BPF_MAP_GET_NEXT_KEY,
        uapi.BPF_MAP_DELETE_BATCH,
    }
)
_INSERT_COMMANDS = frozenset({uapi.BPF_MAP_UPDATE_ELEM, uapi.BPF_MAP_UPDATE_BATCH})
_OPEN_COMMANDS = frozenset({uapi.BPF_OBJ_GET, uapi.BPF_MAP_GET_FD_BY_ID})


def from_raw(
    exc: RawBpfError,
    *,
    map_label: str | None,
    key: str | None = None,
    hint: str | None = None,
) -> BpfError:
    """Translate a failed syscall into the most specific pybpfmaps exception.

    Args:
        exc: The failure as the syscall layer reported it.
        map_label: Which map, for the message.
        key: ``repr`` of the key involved, for the message.
        hint: Replaces the default explanation of EPERM/EACCES and of generic errors.
    """
    err, cmd, command = exc.errno, exc.cmd, exc.command
    about_key = f": {key}" if key is not None else ""
    if err == errno_codes.ENOENT and cmd in _KEY_COMMANDS:
        return KeyNotFoundError(err, f"key not found{about_key}", command=command, map_label=map_label)
    if err == errno_codes.ENOENT and cmd in _OPEN_COMMANDS:
        return MapNotFoundError(err, hint or "no such map", command=command, map_label=map_label)
    if err == errno_codes.EEXIST and cmd == uapi.BPF_MAP_UPDATE_ELEM:
        return KeyExistsError(err, f"key already exists{about_key}", command=command, map_label=map_label)
    if err == errno_codes.E2BIG and cmd in _INSERT_COMMANDS:
        message = f"map full, no room for a new key{about_key}"
        return MapFullError(err, message, command=command, map_label=map_label)
    if err == errno_codes.E2BIG and cmd == uapi.BPF_MAP_CREATE and hint is None:
        message = "too large for this kernel: the key or value size, or max_entries, is over its limits"
        return BpfSyscallError(err, message, command=command, map_label=map_label)
    if err in (errno_codes.EPERM, errno_codes.EACCES):
        return BpfPermissionError(err, hint or privilege_hint(command), command=command, map_label=map_label)
    if features.not_supported(err):
        message = hint or "not supported by this kernel for this map type"
        return NotSupportedError(err, message, command=command, map_label=map_label)
    message = f"{exc.strerror}{about_key}" + (f" ({hint})" if hint else "")
    return BpfSyscallError(err, message, command=command, map_label=map_label)
