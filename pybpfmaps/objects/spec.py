"""``ObjectSpec``: what a clang-built BPF object declares, read without loading anything: its maps
(BTF-defined and global data), its programs (one per function symbol in a program section, with
its instructions), its license and its BTF. Where the instructions refer to maps or other functions
is the ELF's relocations, which linking a program reads (``linker``)."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from pybpfmaps.btf import Btf
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.objects import elf as elf_file
from pybpfmaps.objects.elf import ElfObject
from pybpfmaps.objects.map_defs import MapSpec, btf_maps, global_data, initial_values, kconfig
from pybpfmaps.objects.sections import ProgramKind, program_kind


@attrs.frozen
class ProgramSpec:
    """A program as the object declares it: its function's name, section, kind and instructions."""

    name: str
    section: str
    kind: ProgramKind
    instructions: bytes
    start: int = 0
    """Where the program starts in its section, in bytes."""

    @property
    def type_name(self) -> str:
        """The type in bpftool's spelling, ``"xdp"``."""
        return self.kind.prog_type.name.lower()


@attrs.frozen
class ObjectSpec:
    """The maps and programs of one object file, by name, in the order it declares them."""

    name: str
    maps: dict[str, MapSpec]
    programs: dict[str, ProgramSpec]
    license: str
    btf: Btf | None
    elf: ElfObject

    @classmethod
    def open(cls, source: str | os.PathLike[str] | bytes, name: str | None = None) -> ObjectSpec:
        """Read an object file (a path, or its bytes; *name*: the object's name, default the file's stem)."""
        parts = elf_file.read(source)
        if name is None:
            name = "object" if isinstance(source, bytes) else Path(os.fspath(source)).name.split(".")[0]
        btf_section = parts.section(".BTF")
        btf = Btf.load(btf_section.data) if btf_section is not None else None
        if parts.section(".maps") is not None and btf is None:
            raise BpfArgumentError(f"{parts.label} declares maps in .maps but has no BTF (build it with clang -g)")
        types = btf.types if btf is not None else {}
        initial = initial_values(types, parts)
        declared = [attrs.evolve(spec, initial=initial.get(spec.name, ())) for spec in btf_maps(types)]
        maps = {spec.name: spec for spec in [*declared, *global_data(parts, name, types), *kconfig(types, name)]}
        license_section = parts.section("license")
        license = license_section.data.split(b"\0")[0].decode(errors="replace") if license_section else ""
        return cls(name, maps, _programs(parts), license, btf, parts)


def _programs(parts: ElfObject) -> dict[str, ProgramSpec]:
    found: dict[str, ProgramSpec] = {}
    for section in parts.sections:
        kind = program_kind(section.name)
        if kind is None or not section.data:
            continue
        functions = sorted(
            (symbol for symbol in parts.symbols
             if symbol.section == section.index and symbol.type == "STT_FUNC" and symbol.bind == "STB_GLOBAL"),
            key=lambda symbol: symbol.value,
        )  # fmt: skip
        for symbol in functions:
            start, end = symbol.value, symbol.value + (symbol.size or len(section.data) - symbol.value)
            found[symbol.name] = ProgramSpec(symbol.name, section.name, kind, section.data[start:end], start)
    return found
