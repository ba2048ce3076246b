"""``Btf``: the types of one BTF blob (the kernel's, a module's, an object file's, a map's), and codecs for them."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError, from_raw

KERNEL_BTF = Path("/sys/kernel/btf")
"""Where the kernel publishes its BTF (``vmlinux``) and each module's (split BTF on top of it)."""
_ELF_MAGIC = b"\x7fELF"
_KINDS = {
    "struct": (btf.STRUCT,), "union": (btf.UNION,), "enum": (btf.ENUM, btf.ENUM64), "typedef": (btf.TYPEDEF,),
    "int": (btf.INT,), "float": (btf.FLOAT,), "datasec": (btf.DATASEC,), "var": (btf.VAR,), "func": (btf.FUNC,),
    "fwd": (btf.FWD,),
}  # fmt: skip
_LOOKUP_ORDER = ("struct", "union", "typedef", "enum", "datasec", "int", "float")


class Btf:
    """The types of a BTF blob, and codecs for them without writing an attrs class.

    Examples:
        >>> from pybpfmaps import Btf
        >>> kernel = Btf.load("/sys/kernel/btf/vmlinux")
        >>> "iphdr" in kernel.names("struct")
        True
        >>> iphdr = kernel.codec("struct iphdr")
        >>> header = iphdr.unpack(bytes.fromhex("45000054abcd40004001f00d0a0000010a000002"))
        >>> header.ttl, header.protocol, hex(header.saddr)  # __be32: in network byte order
        (64, 1, '0xa000001')
    """

    def __init__(self, parsed: btf.Parsed, source: str) -> None:
        """Use ``load``, ``from_id`` or ``from_map``."""
        self._parsed = parsed
        self._source = source
        self._decoder = Decoder(parsed.types)
        self._name_index: dict[str, dict[str, int]] = {}

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes, *, base: Btf | None = None) -> Btf:
        """Read BTF from a file or bytes: raw BTF (``/sys/kernel/btf/vmlinux``), or an ELF object's ``.BTF`` section.

        A module's BTF under ``/sys/kernel/btf`` continues the kernel's (split BTF), which is then
        loaded as its *base*; give *base* yourself for split BTF found elsewhere. Reading an ELF
        object needs pyelftools (``pip install 'pybpfmaps[elf]'``).
        """
        if isinstance(source, (bytes, bytearray, memoryview)):
            data, label = bytes(source), f"{len(source)} bytes"
        else:
            path = Path(source)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BpfArgumentError(f"cannot read BTF from {str(path)!r}: {exc.strerror}") from None
            label = str(path)
            if base is None and path.parent == KERNEL_BTF and path.name != "vmlinux":
                base = vmlinux()
        if data[:4] == _ELF_MAGIC:
            data = _elf_btf(data, label)
        try:
            parsed = btf.parse(data, base._parsed if base is not None else None)
        except (ValueError, IndexError) as exc:
            raise BpfArgumentError(f"{label} is not BTF: {exc}") from None
        return cls(parsed, label)

    @classmethod
    def from_id(cls, btf_id: int) -> Btf:
        """The kernel's BTF object *btf_id* (``bpftool btf list``); needs CAP_SYS_ADMIN."""
        try:
            fd = Fd(commands.btf_get_fd_by_id(btf_id), f"BTF id {btf_id}")
            try:
                data = commands.btf_get_data(fd.fileno())
            finally:
                fd.close()
        except RawBpfError as exc:
            raise from_raw(exc, map_label=f"BTF id {btf_id}") from None
        return cls(btf.parse(data), f"BTF id {btf_id}")

    @classmethod
    def from_map(cls, bpf_map: Any) -> Btf:
        """The BTF a map was created with (``BpfMap``); ``BpfArgumentError`` if it has none."""
        info = bpf_map.info
        if not info.btf_id:
            raise BpfArgumentError(f"{info.label} has no BTF")
        return cls.from_id(info.btf_id)

    @classmethod
    def for_map(cls, bpf_map: Any) -> Btf:
        """The BTF that describes what a map holds: its own, or else that of a program using it.

        Ring buffers and perf event arrays carry no BTF of their own (the kernel keeps a map's BTF
        only with key or value types); the types of their records are in the BTF of the programs
        that send them. ``BpfArgumentError`` if neither has any.
        """
        info = bpf_map.info
        if info.btf_id:
            return cls.from_id(info.btf_id)
        btf_id = _program_btf_using(info.id)
        if btf_id is None:
            raise BpfArgumentError(f"{info.label} has no BTF, and no loaded program with BTF uses it")
        return cls.from_id(btf_id)

    @property
    def types(self) -> Mapping[int, btf.BtfType]:
        """Every type by id (a split blob's base types included)."""
        return self._parsed.types

    def __len__(self) -> int:
        return len(self._parsed.types)

    def names(self, kind: str) -> list[str]:
        """The names of the named types of *kind*: ``"struct"``, ``"union"``, ``"enum"``, ``"typedef"``...; sorted."""
        return sorted(self._index(kind))

    def type_id(self, name: str) -> int:
        """The id of the type called *name*: ``"struct iphdr"``, ``"enum bpf_map_type"``, or a bare name."""
        kind, _, bare = name.strip().rpartition(" ")
        if kind and kind not in _KINDS:
            raise BpfArgumentError(f"unknown kind {kind!r} in {name!r}: use one of {', '.join(_KINDS)}")
        for each in (kind,) if kind else _LOOKUP_ORDER:
            found = self._index(each).get(bare)
            if found is not None:
                return found
        raise BpfArgumentError(f"{self._source} has no {kind or 'type'} called {bare!r}")

    def codec(self, spec: str | int, size: int | None = None) -> Codec[Any]:
        """A codec for a type, by name (as ``type_id`` takes it) or id.

        Never fails for the type's sake: a type that has no Python form gives ``raw`` bytes whose
        ``reason`` says why. *size* asks for that many bytes (a trailing flexible array grows to
        fill them).
        """
        type_id = self.type_id(spec) if isinstance(spec, str) else spec
        if not isinstance(type_id, int) or isinstance(type_id, bool) or type_id not in self._parsed.types:
            raise BpfArgumentError(f"{self._source} has no type id {spec!r}")
        return self._decoder.codec(type_id, size)

    def _index(self, kind: str) -> dict[str, int]:
        if kind not in _KINDS:
            raise BpfArgumentError(f"unknown kind {kind!r}: use one of {', '.join(_KINDS)}")
        if kind not in self._name_index:
            wanted = _KINDS[kind]
            index: dict[str, int] = {}
            for type_id, each in self._parsed.types.items():
                if each.kind in wanted and each.name:
                    index.setdefault(each.name, type_id)
            self._name_index[kind] = index
        return self._name_index[kind]

    def __repr__(self) -> str:
        return f"<Btf {self._source} {len(self)} types>"


@functools.cache
def vmlinux() -> Btf:
    """The running kernel's BTF (read once)."""
    return Btf.load(KERNEL_BTF / "vmlinux")


def _elf_btf(data: bytes, label: str) -> bytes:
    """The ``.BTF`` section of an ELF object (a clang-built BPF program, say)."""
    try:
        from elftools.elf.elffile import ELFFile  # noqa: PLC0415 - optional, and only needed here
    except ImportError:
        raise BpfArgumentError(
            f"reading BTF from the ELF object {label} needs pyelftools: pip install 'pybpfmaps[elf]'"
        ) from None
    try:
        section = ELFFile(io.BytesIO(data)).get_section_by_name(".BTF")
    except Exception as exc:  # pyelftools raises its own ELFError and struct errors on damaged files
        raise BpfArgumentError(f"{label} is not a readable ELF object: {exc}") from None
    if section is None:
        raise BpfArgumentError(f"{label} has no .BTF section (build it with clang -g)")
    return bytes(section.data())


def _program_btf_using(map_id: int) -> int | None:
    """The BTF id of the first loaded program (by id) that uses map *map_id* and has BTF."""
    prog_id = 0
    while (found := commands.prog_get_next_id(prog_id)) is not None:
        prog_id = found
        try:
            fd = Fd(commands.prog_get_fd_by_id(prog_id), f"program id {prog_id}")
        except RawBpfError:
            continue  # gone meanwhile
        try:
            map_ids, btf_id = commands.prog_maps_and_btf(fd.fileno())
        except RawBpfError:
            continue
        finally:
            fd.close()
        if btf_id and map_id in map_ids:
            return btf_id
    return None
