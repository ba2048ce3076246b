"""Loading an object's parts, as libbpf would, without libbpf: maps created typed from the object's
BTF (or reused from their pins), global data written (``.rodata`` and ``.kconfig`` frozen), maps of
maps and program arrays filled from their ``values``, and each program linked, its references to
maps and global data patched in, and loaded with the object's BTF."""

from __future__ import annotations

import contextlib
import errno
import os
import struct
from collections.abc import Mapping
from typing import Any

from pybpfmaps import features
from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.btf import format as btf_format
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError, NotSupportedError, VerifierError, from_raw
from pybpfmaps.flags import AttachType
from pybpfmaps.maps import MapCore
from pybpfmaps.maps._create import create_map
from pybpfmaps.objects import btf_ext, btf_fixup, core, kconfig, linker, pins, targets
from pybpfmaps.objects.linker import INSN, LD_IMM64, Linked
from pybpfmaps.objects.map_defs import MapSpec, datasec_id
from pybpfmaps.objects.spec import ObjectSpec, ProgramSpec
from pybpfmaps.program import BpfProgram

PSEUDO_MAP_FD, PSEUDO_MAP_VALUE = 1, 2
_NO_EXPECTED = frozenset({AttachType.XDP, AttachType.TCX_INGRESS, AttachType.TCX_EGRESS})
"""Attach types the kernel does not want at load time (libbpf leaves them out too)."""
_BTF_REFUSED = frozenset({errno.EINVAL, errno.E2BIG}) | features.NOT_SUPPORTED
"""What a kernel or map type answers to types it does not take for a map."""


def _codec(spec: ObjectSpec, type_id: int, size: int) -> Codec[Any]:
    if type_id and spec.btf is not None:
        with contextlib.suppress(Exception):  # a type pybpfmaps cannot decode stays raw bytes
            codec = spec.btf.codec(type_id)
            if codec.size == size:
                return codec
    return RawCodec(size)


def create(
    spec: ObjectSpec, map_spec: MapSpec, contents: bytes | None, btf_fd: int | None = None
) -> tuple[MapCore, bool]:
    """The map of *map_spec*, made (holding *contents*) or reused from its pin; and whether it was
    reused. With *btf_fd* (the object's BTF, loaded), the map is described by the object's own types,
    as libbpf describes it (a global data map by its section's); else by types made from its codecs."""
    found = pins.reused(map_spec)
    if found is not None:
        return found, True
    inner = create(spec, map_spec.inner, None, btf_fd)[0] if map_spec.inner is not None else None
    try:
        fd = _create_fd(spec, map_spec, btf_fd, inner.fileno() if inner is not None else 0)
    finally:
        if inner is not None:
            inner.close()
    try:
        if contents is not None:
            commands.map_update_elem(fd, bytes(4), contents, 0)
        if map_spec.section in (".kconfig",) or map_spec.section.startswith(".rodata"):
            commands.map_freeze(fd)
        if commands.map_get_info(fd).btf_id:
            made = MapCore.from_fd(fd)  # typed as any reader of the map would type it
        else:  # the kernel took no types (an array keyed by an enum, say): the object's, still
            key = (
                _codec(spec, map_spec.key_type, map_spec.key_size) if map_spec.key_size and map_spec.key_type else None
            )
            value = _codec(spec, map_spec.value_type, map_spec.value_size) if map_spec.value_type else None
            made = MapCore.from_fd(fd, key=key, value=value)
    finally:
        os.close(fd)
    if map_spec.pin_path is not None:
        try:
            made.pin(map_spec.pin_path)
        except BaseException:
            made.close()
            raise
    return made, False


def _create_fd(spec: ObjectSpec, map_spec: MapSpec, btf_fd: int | None, inner_fd: int) -> int:
    name = map_spec.name[:15].encode()
    described = _described_by(spec, map_spec, btf_fd)
    if described is not None:
        try:
            return commands.map_create(int(map_spec.map_type), map_spec.key_size, map_spec.value_size,
                                       map_spec.max_entries, int(map_spec.flags), name, described,
                                       map_spec.map_extra, inner_fd)  # fmt: skip
        except RawBpfError as exc:
            if exc.errno not in _BTF_REFUSED:
                raise from_raw(exc, map_label=_label(spec, map_spec)) from None
            # this map type or kernel does not take these types (a program array's, say): without them
    key = _codec(spec, map_spec.key_type, map_spec.key_size) if map_spec.key_size else None
    value = _codec(spec, map_spec.value_type, map_spec.value_size)
    label = _label(spec, map_spec)
    return create_map(int(map_spec.map_type), key, value, map_spec.max_entries, int(map_spec.flags), name, label,
                      with_btf=True, map_extra=map_spec.map_extra, inner_map_fd=inner_fd)  # fmt: skip


def _described_by(spec: ObjectSpec, map_spec: MapSpec, btf_fd: int | None) -> tuple[int, int, int] | None:
    """(BTF fd, key type, value type) of a map in the object's BTF; ``None`` when it has no types there."""
    if btf_fd is None or spec.btf is None:
        return None
    if map_spec.section != ".maps":
        datasec = datasec_id(spec.btf.types, map_spec.section)
        return (btf_fd, 0, datasec) if datasec else None
    return (btf_fd, map_spec.key_type, map_spec.value_type) if map_spec.value_type else None


def _label(spec: ObjectSpec, map_spec: MapSpec) -> str:
    return f"{map_spec.type_name} map {map_spec.name!r} of {spec.name}"


def fill(target: MapCore, slots: tuple[tuple[int, str], ...], by_name: Mapping[str, MapCore | BpfProgram]) -> None:
    """Store the maps or programs *slots* name in a map of maps or program array."""
    for slot, name in slots:
        if name not in by_name:
            raise BpfArgumentError(f"{target.name!r} holds {name!r} at [{slot}], which the object does not make")
        held = by_name[name]
        try:
            commands.map_update_elem(target.fileno(), struct.pack("=I", slot), struct.pack("=I", held.fileno()), 0)
        except RawBpfError as exc:
            hint = (f"{target.name}[{slot}] = {name}: a map of maps holds only maps like its inner template "
                    "(type, key and value sizes, max_entries, flags)") if isinstance(held, MapCore) else (
                    f"{target.name}[{slot}] = {name}: a program array holds programs of one type")  # fmt: skip
            raise from_raw(exc, map_label=target.info.label, hint=hint) from None


def contents(spec: ObjectSpec, map_spec: MapSpec) -> bytearray | None:
    """What a global data map starts with: its section's contents, or the ``__kconfig`` values of
    the running kernel; ``None`` for other maps."""
    if map_spec.section == ".kconfig":
        options = kconfig.config()
        weak = {symbol.name for symbol in spec.elf.symbols if symbol.bind == "STB_WEAK"}
        data = bytearray(map_spec.value_size)
        for variable in map_spec.variables:
            end = variable.offset + variable.size
            data[variable.offset : end] = kconfig.value(variable.name, variable.size, variable.name in weak, options)
        return data
    if map_spec.section == ".maps":
        return None
    return bytearray(map_spec.data if map_spec.data is not None else bytes(map_spec.value_size))


def program_btf(spec: ObjectSpec) -> int | None:
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
    externs = _kconfig_map(spec)
    if externs is not None:
        sizes[".kconfig"] = externs.value_size
        offsets[".kconfig"] = {variable.name: variable.offset for variable in externs.variables}
    try:
        return commands.btf_load(btf_fixup.fixed(section.data, sizes, offsets))
    except RawBpfError:
        return None


def _kconfig_map(spec: ObjectSpec) -> MapSpec | None:
    """The map of the object's ``__kconfig`` externs, if it has any."""
    return next((m for m in spec.maps.values() if m.section == ".kconfig"), None)


def ext(spec: ObjectSpec) -> btf_ext.ExtInfo | None:
    """The object's ``.BTF.ext``, parsed; ``None`` without one."""
    section = spec.elf.section(".BTF.ext")
    raw = spec.elf.section(".BTF")
    if section is None or raw is None:
        return None
    return btf_ext.parse(section.data, btf_format.string_section(raw.data))


def _ext_info(info: btf_ext.ExtInfo | None, linked: Linked, btf_fd: int | None) -> tuple[int, bytes, bytes] | None:
    if btf_fd is None or info is None:
        return None
    parts = [btf_ext.for_program(info, piece.section, piece.start, piece.end, piece.at) for piece in linked.pieces]
    return btf_fd, b"".join(funcs for funcs, _ in parts), b"".join(lines for _, lines in parts)


def _core(spec: ObjectSpec, info: btf_ext.ExtInfo | None, linked: Linked, code: bytearray) -> list[core.Relocation]:
    """Apply the CO-RE relocations of the linked code against the running kernel's BTF; those
    that found nothing there."""
    if info is None or spec.btf is None:
        return []
    relocations = [
        core.Relocation(piece.at + (offset - piece.start) // 8, type_id, access, kind)
        for piece in linked.pieces for offset, type_id, access, kind in info.core.get(piece.section, ())
        if piece.start <= offset < piece.end
    ]  # fmt: skip
    if not relocations:
        return []
    return core.apply(code, relocations, spec.btf.types, targets.kernel_btf().types)


def load(
    spec: ObjectSpec,
    program: ProgramSpec,
    maps: Mapping[str, MapCore],
    btf_fd: int | None = None,
    info: btf_ext.ExtInfo | None = None,
) -> BpfProgram:
    """Link *program*, point its references at *maps*, and load it (with func and line info when *btf_fd*)."""
    linked = linker.link(spec.elf, program.section, program.start, program.start + len(program.instructions),
                         program.name)  # fmt: skip
    code = bytearray(linked.code)
    by_section = {map_spec.section: name for name, map_spec in spec.maps.items() if map_spec.section != ".maps"}
    kconfig_map = _kconfig_map(spec)
    externs = {variable.name: variable.offset for variable in kconfig_map.variables} if kconfig_map else {}
    for relocation in linked.relocations:
        symbol = spec.elf.symbols[relocation.symbol]
        at = relocation.offset
        opcode, regs, offset, imm = INSN.unpack_from(code, at)
        if opcode != LD_IMM64:
            raise BpfArgumentError(f"program {program.name!r}: instruction {at // 8} refers to {symbol.name!r}, "
                                   "but is no ld_imm64")  # fmt: skip
        section = spec.elf.sections[symbol.section].name if symbol.section >= 0 else ""
        if section == ".maps":
            target, kind, value_offset = maps[symbol.name], PSEUDO_MAP_FD, None
        elif section in by_section:
            value_offset = imm + (symbol.value if symbol.type != "STT_SECTION" else 0)
            target, kind = maps[by_section[section]], PSEUDO_MAP_VALUE
        elif kconfig_map is not None and symbol.name in externs:
            value_offset = externs[symbol.name]
            target, kind = maps[kconfig_map.name], PSEUDO_MAP_VALUE
        elif symbol.section < 0:
            raise NotSupportedError(
                None, f"program {program.name!r} uses the extern {symbol.name!r}: externs other than __kconfig "
                "ones (__ksym) are not supported yet", command=None, map_label=None,
            )  # fmt: skip
        else:
            raise BpfArgumentError(f"program {program.name!r} refers to {symbol.name or section!r}, which is no map")
        INSN.pack_into(code, at, opcode, (regs & 0x0F) | kind << 4, offset, target.fileno())
        if value_offset is not None:
            next_opcode, next_regs, next_offset, _ = INSN.unpack_from(code, at + 8)
            INSN.pack_into(code, at + 8, next_opcode, next_regs, next_offset, value_offset)
    info = info if info is not None else ext(spec)
    unresolved = _core(spec, info, linked, code)
    expected = program.kind.attach_type
    try:
        return BpfProgram.load(
            bytes(code), program.kind.prog_type, license=spec.license or "GPL", name=program.name[:15],
            attach_type=None if expected in _NO_EXPECTED else expected, btf=_ext_info(info, linked, btf_fd),
            attach_btf_id=targets.attach_btf_id(program.name, program.kind), flags=program.kind.flags,
        )  # fmt: skip
    except VerifierError as exc:
        if not unresolved or f"unknown#{core.POISON}" not in exc.log:
            raise
        names = "; ".join(relocation.describe(spec.btf.types) for relocation in unresolved if spec.btf is not None)
        error = VerifierError(exc.errno, f"program {program.name!r} uses CO-RE relocations that found nothing in "
                              f"this kernel's BTF: {names}\n{exc.log.strip()}", command=exc.command,
                              map_label=exc.map_label)  # fmt: skip
        error.log = exc.log
        raise error from None
