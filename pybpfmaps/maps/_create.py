"""BPF_MAP_CREATE with type information: BTF generated from the codecs, when the kernel takes it.

BTF makes ``bpftool map dump`` show named fields, and it is how ``BpfMap.from_pin`` of another
process gets typed keys and values. It is an addition, not a condition: a codec without a BTF
form, or a kernel that refuses the BTF, gives a map without it, except for values holding a
``bpf_spin_lock``, which the kernel only accepts with BTF.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, TypeVar

from pybpfmaps import btf, features
from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import holds_spin_lock
from pybpfmaps.errors import BpfArgumentError, BpfError, VerifierError, from_raw
from pybpfmaps.flags import MapFlags
from pybpfmaps.maps import _open, _validate

if TYPE_CHECKING:
    from pybpfmaps.maps.core import MapCore

M = TypeVar("M", bound="MapCore")

_REFUSED = frozenset({errno.EINVAL, errno.E2BIG}) | features.NOT_SUPPORTED
"""What a kernel or map type answers to BTF it does not take (a kind it does not know, say)."""


def create_map(
    map_type: int,
    key: Codec[Any] | None,
    value: Codec[Any],
    max_entries: int,
    flags: int,
    name: bytes,
    label: str,
    with_btf: bool,
    map_extra: int = 0,
    inner_map_fd: int = 0,
) -> int:
    """Create a map of *key* (``None``: no key) and *value* (the kernel's value, one CPU's for
    per-CPU maps); its fd."""
    key_size = key.size if key is not None else 0
    locked = holds_spin_lock(value)
    described = btf.map_btf(key, value) if with_btf or locked else None
    if locked and described is None:
        raise BpfArgumentError(f"{label}: a value with a spin_lock needs BTF, and one of its codecs has no BTF form")
    if described is not None:
        blob, key_type, value_type = described
        try:
            btf_fd = Fd(commands.btf_load(blob), "BTF of a new map")
        except RawBpfError as exc:
            if locked:
                raise _btf_refusal(exc, label) from None
        else:
            try:
                described_by = (btf_fd.fileno(), key_type, value_type)
                return commands.map_create(map_type, key_size, value.size, max_entries, flags, name, described_by,
                                           map_extra, inner_map_fd)  # fmt: skip
            except RawBpfError as exc:
                if locked or exc.errno not in _REFUSED:
                    raise _refusal(exc, label, locked) from None
                # this kernel or map type does not take the BTF: create the map without it
            finally:
                btf_fd.close()
    try:
        return commands.map_create(
            map_type, key_size, value.size, max_entries, flags, name, None, map_extra, inner_map_fd
        )
    except RawBpfError as exc:
        raise _refusal(exc, label, locked) from None


def _btf_refusal(exc: RawBpfError, label: str) -> VerifierError:
    """BPF_BTF_LOAD failed for a map that cannot do without BTF: the kernel's log, or what it likely lacks."""
    reason = exc.log.strip() or "(no log: kernels before 4.18 have no BTF, before 5.1 no bpf_spin_lock)"
    error = VerifierError(
        exc.errno, f"the kernel refused the map's BTF:\n{reason}", command=exc.command, map_label=label
    )
    error.log = exc.log
    return error


def _refusal(exc: RawBpfError, label: str, locked: bool) -> BpfError:
    hint = None
    if locked and features.not_supported(exc.errno):
        hint = "this map type cannot hold values with a spin_lock (hash and array maps can)"
    return from_raw(exc, map_label=label, hint=hint)


def create_keyed(
    cls: type[M], key: Codec[Any], value: Codec[Any], max_entries: int, name: str, flags: int, with_btf: bool,
    inner_map_fd: int = 0,
) -> M:  # fmt: skip
    """A new map of *cls*'s type with these codecs, opened as *cls*; every argument is checked before the syscall."""
    if cls.map_type is None:
        raise BpfArgumentError(f"{cls.__name__} cannot create maps; use HashMap, LruHashMap or ArrayMap")
    _validate.hashable_key(key)
    _validate.codec_size("key", key.size)
    _validate.codec_size("value", value.size)
    entries = _validate.max_entries(max_entries)
    return create_as(cls, key, value, entries, name, flags, with_btf, inner_map_fd=inner_map_fd)


def create_keyless(
    cls: type[M], value: Codec[Any], max_entries: int, name: str, flags: int, with_btf: bool, map_extra: int = 0
) -> M:
    """A new map without keys (queue, stack, bloom filter) of *cls*'s type, opened as *cls*."""
    _validate.codec_size("value", value.size)
    entries = _validate.max_entries(max_entries)
    return create_as(cls, None, value, entries, name, flags, with_btf, map_extra=map_extra)


def create_as(
    cls: type[M], key: Codec[Any] | None, value: Codec[Any], entries: int, name: str, flags: int, with_btf: bool,
    *, map_extra: int = 0, inner_map_fd: int = 0,
) -> M:  # fmt: skip
    """A new map of *cls*'s type with *entries* (checked by the caller; 0 where the kernel sizes it:
    local and cgroup storage), *flags* and *name* checked here, opened as *cls* with these codecs."""
    assert cls.map_type is not None
    kind = cls.map_type.name.lower()
    bits = _validate.create_flags(flags, cls.create_flags, kind)
    raw_name = _validate.map_name(name)
    label = f"new {kind} map '{name}'" if name else f"new {kind} map"
    number = create_map(
        int(cls.map_type), key, value, entries, bits, raw_name, label, with_btf, map_extra, inner_map_fd
    )
    access = "read-only" if bits & MapFlags.RDONLY else "write-only" if bits & MapFlags.WRONLY else None
    return _open.adopt(cls, Fd(number, f"new {kind} map"), key, value, None, created_access=access)
