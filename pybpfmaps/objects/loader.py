"""``BpfObject``: an object's maps created and its programs loaded, as libbpf would, without libbpf:
maps typed from the object's BTF, global data written (``.rodata`` and ``.kconfig`` frozen), and
each program's references to maps and global data patched in before ``BPF_PROG_LOAD``."""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.btf import format as btf_format
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError, NotSupportedError
from pybpfmaps.flags import AttachType
from pybpfmaps.maps import MapCore
from pybpfmaps.maps._create import create_map
from pybpfmaps.objects import btf_ext, btf_fixup, kconfig, linker
from pybpfmaps.objects.linker import Linked
from pybpfmaps.objects.map_defs import MapSpec
from pybpfmaps.objects.spec import ObjectSpec, ProgramSpec
from pybpfmaps.program import BpfProgram

LD_IMM64 = 0x18
PSEUDO_MAP_FD, PSEUDO_MAP_VALUE = 1, 2
_INSN = struct.Struct("<BBhi")
_NO_EXPECTED = frozenset({AttachType.XDP, AttachType.TCX_INGRESS, AttachType.TCX_EGRESS})
"""Attach types the kernel does not want at load time (libbpf leaves them out too)."""


class BpfObject:
    """The maps (opened as their pybpfmaps classes) and programs of a loaded object, by name.
    ``close()`` or the end of a ``with`` block closes them all; pinned ones live on."""

    def __init__(self, spec: ObjectSpec, maps: dict[str, MapCore], programs: dict[str, BpfProgram]) -> None:
        self.spec = spec
        self.maps = maps
        self.programs = programs

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes | ObjectSpec) -> BpfObject:
        """Create the maps and load the programs of an object file (or of a spec read before)."""
        spec = source if isinstance(source, ObjectSpec) else ObjectSpec.open(source)
        maps: dict[str, MapCore] = {}
        programs: dict[str, BpfProgram] = {}
        btf_fd = _program_btf(spec)
        try:
            for map_spec in spec.maps.values():
                maps[map_spec.name] = _create(spec, map_spec)
            for program in spec.programs.values():
                programs[program.name] = _load(spec, program, maps, btf_fd)
        except BaseException:
            _close_all(programs, maps)
            raise
        finally:
            if btf_fd is not None:
                os.close(btf_fd)
        return cls(spec, maps, programs)

    def close(self) -> None:
        _close_all(self.programs, self.maps)

    def __enter__(self) -> BpfObject:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BpfObject {self.spec.name!r}: {len(self.maps)} maps, {len(self.programs)} programs>"


def _close_all(programs: dict[str, BpfProgram], maps: dict[str, MapCore]) -> None:
    for program in programs.values():
        with contextlib.suppress(Exception):
            program.close()
    for made in maps.values():
        with contextlib.suppress(Exception):
            made.close()


def _codec(spec: ObjectSpec, type_id: int, size: int) -> Codec[Any]:
    if type_id and spec.btf is not None:
        with contextlib.suppress(Exception):  # a type pybpfmaps cannot decode stays raw bytes
            codec = spec.btf.codec(type_id)
            if codec.size == size:
                return codec
    return RawCodec(size)


def _create(spec: ObjectSpec, map_spec: MapSpec) -> MapCore:
    if map_spec.inner is not None:
        raise NotSupportedError(None, f"map {map_spec.name!r} holds maps: not loaded yet", command=None, map_label=None)
    key = _codec(spec, map_spec.key_type, map_spec.key_size) if map_spec.key_size else None
    value = _codec(spec, map_spec.value_type, map_spec.value_size)
    label = f"{map_spec.type_name} map {map_spec.name!r} of {spec.name}"
    fd = create_map(int(map_spec.map_type), key, value, map_spec.max_entries, int(map_spec.flags),
                    map_spec.name[:15].encode(), label, with_btf=True, map_extra=map_spec.map_extra)  # fmt: skip
    try:
        contents = _contents(spec, map_spec)
        if contents is not None:
            commands.map_update_elem(fd, bytes(4), contents, 0)
        if map_spec.section in (".kconfig",) or map_spec.section.startswith(".rodata"):
            commands.map_freeze(fd)
        return MapCore.from_fd(fd)
    finally:
        os.close(fd)


def _contents(spec: ObjectSpec, map_spec: MapSpec) -> bytes | None:
    if map_spec.section == ".kconfig":
        options = kconfig.config()
        weak = {symbol.name for symbol in spec.elf.symbols if symbol.bind == "STB_WEAK"}
        data = bytearray(map_spec.value_size)
        for name, offset, size in map_spec.variables:
            data[offset : offset + size] = kconfig.value(name, size, name in weak, options)
        return bytes(data)
    return map_spec.data


def _program_btf(spec: ObjectSpec) -> int | None:
    """The object's BTF loaded into the kernel, fixed up as the kernel needs it; ``None`` without
    BTF, or when this kernel refuses it (the programs then load without func and line info)."""
    section = spec.elf.section(".BTF")
    if section is None:
        return None
    sizes = {s.name: s.size for s in spec.elf.sections}
    offsets: dict[str, dict[str, int]] = {}
    for symbol in spec.elf.symbols:
        if symbol.section >= 0 and symbol.type == "STT_OBJECT":
            offsets.setdefault(spec.elf.sections[symbol.section].name, {})[symbol.name] = symbol.value
    externs = next((m for m in spec.maps.values() if m.section == ".kconfig"), None)
    if externs is not None:
        sizes[".kconfig"] = externs.value_size
        offsets[".kconfig"] = {name: offset for name, offset, _ in externs.variables}
    try:
        return commands.btf_load(btf_fixup.fixed(section.data, sizes, offsets))
    except RawBpfError:
        return None


def _ext_info(spec: ObjectSpec, linked: Linked, btf_fd: int | None) -> tuple[int, bytes, bytes] | None:
    section = spec.elf.section(".BTF.ext")
    raw = spec.elf.section(".BTF")
    if btf_fd is None or section is None or raw is None:
        return None
    _magic, _version, _flags, header_len, _type_off, _type_len, str_off, str_len = btf_format.HEADER.unpack_from(
        raw.data
    )
    strings = raw.data[header_len + str_off : header_len + str_off + str_len]
    info = btf_ext.parse(section.data, strings)
    parts = [btf_ext.for_program(info, piece.section, piece.start, piece.end, piece.at) for piece in linked.pieces]
    return btf_fd, b"".join(part[0] for part in parts), b"".join(part[2] for part in parts)


def _load(spec: ObjectSpec, program: ProgramSpec, maps: dict[str, MapCore], btf_fd: int | None = None) -> BpfProgram:
    linked = linker.link(spec.elf, program.section, program.start, program.start + len(program.instructions),
                         program.name)  # fmt: skip
    code = bytearray(linked.code)
    by_section = {map_spec.section: name for name, map_spec in spec.maps.items() if map_spec.section != ".maps"}
    kconfig_map = next((m for m in spec.maps.values() if m.section == ".kconfig"), None)
    for relocation in linked.relocations:
        symbol = spec.elf.symbols[relocation.symbol]
        at = relocation.offset
        opcode, regs, offset, imm = _INSN.unpack_from(code, at)
        if opcode != LD_IMM64:
            raise BpfArgumentError(f"program {program.name!r}: instruction {at // 8} refers to {symbol.name!r}, "
                                   "but is no ld_imm64")  # fmt: skip
        section = spec.elf.sections[symbol.section].name if symbol.section >= 0 else ""
        if section == ".maps":
            target, kind, value_offset = maps[symbol.name], PSEUDO_MAP_FD, None
        elif section in by_section:
            value_offset = imm + (symbol.value if symbol.type != "STT_SECTION" else 0)
            target, kind = maps[by_section[section]], PSEUDO_MAP_VALUE
        elif kconfig_map is not None and any(name == symbol.name for name, _, _ in kconfig_map.variables):
            value_offset = next(offset for name, offset, _ in kconfig_map.variables if name == symbol.name)
            target, kind = maps[kconfig_map.name], PSEUDO_MAP_VALUE
        else:
            raise BpfArgumentError(f"program {program.name!r} refers to {symbol.name or section!r}, which is no map")
        _INSN.pack_into(code, at, opcode, (regs & 0x0F) | kind << 4, offset, target.fileno())
        if value_offset is not None:
            next_opcode, next_regs, next_offset, _ = _INSN.unpack_from(code, at + 8)
            _INSN.pack_into(code, at + 8, next_opcode, next_regs, next_offset, value_offset)
    expected = program.kind.attach_type
    return BpfProgram.load(
        bytes(code), program.kind.prog_type, license=spec.license or "GPL", name=program.name[:15],
        attach_type=None if expected in _NO_EXPECTED else expected, btf=_ext_info(spec, linked, btf_fd),
    )  # fmt: skip
