"""An ELF object file as the loader needs it: sections by name and index, symbols, and the
relocations of each section; read with pyelftools (the optional extra ``pybpfmaps[elf]``)."""

from __future__ import annotations

import io
import os
from typing import Any

import attrs

from pybpfmaps.errors import BpfArgumentError

EM_BPF = 247
SHT_REL = 9
SHF_EXECINSTR = 0x4


@attrs.frozen
class Section:
    """One section: its index, name, type, flags and contents (empty for ``SHT_NOBITS``, *size* long)."""

    index: int
    name: str
    type: int
    flags: int
    data: bytes
    size: int


@attrs.frozen
class Symbol:
    """One symbol: name, the section it is in (its index), value (offset), size, type and binding."""

    name: str
    section: int
    value: int
    size: int
    type: str
    bind: str


@attrs.frozen
class Relocation:
    """A place at *offset* in a section that refers to symbol number *symbol*."""

    offset: int
    symbol: int
    type: int


@attrs.frozen
class ElfObject:
    """The parts of a BPF object file: sections, symbols, and relocations by the section they patch."""

    label: str
    sections: tuple[Section, ...]
    symbols: tuple[Symbol, ...]
    relocations: dict[int, tuple[Relocation, ...]]

    def section(self, name: str) -> Section | None:
        return next((section for section in self.sections if section.name == name), None)


def read(source: str | os.PathLike[str] | bytes) -> ElfObject:
    """Parse a BPF object (a path, or its bytes); ``BpfArgumentError`` if it is not one."""
    label = "the object" if isinstance(source, bytes) else repr(os.fspath(source))
    if isinstance(source, bytes):
        data = source
    else:
        with open(source, "rb") as file:
            data = file.read()
    try:
        from elftools.elf.elffile import ELFFile  # noqa: PLC0415 - optional, and only needed here
    except ImportError:
        raise BpfArgumentError(f"reading {label} needs pyelftools: pip install 'pybpfmaps[elf]'") from None
    try:
        elf = ELFFile(io.BytesIO(data))
        if elf["e_machine"] not in ("EM_BPF", EM_BPF):
            raise BpfArgumentError(f"{label} is an ELF object for {elf['e_machine']}, not for BPF")
        return _parts(elf, label)
    except BpfArgumentError:
        raise
    except Exception as exc:  # pyelftools raises its own ELFError and struct errors on damaged files
        raise BpfArgumentError(f"{label} is not a readable ELF object: {exc}") from None


def _parts(elf: Any, label: str) -> ElfObject:
    sections: list[Section] = []
    relocations: dict[int, tuple[Relocation, ...]] = {}
    symbols: tuple[Symbol, ...] = ()
    for index, section in enumerate(elf.iter_sections()):
        kind = section["sh_type"]
        number = kind if isinstance(kind, int) else _SECTION_TYPES.get(kind, -1)
        data = b"" if kind == "SHT_NOBITS" else section.data()
        sections.append(Section(index, section.name, number, section["sh_flags"], data, section["sh_size"]))
        if kind == "SHT_SYMTAB":
            symbols = tuple(map(_symbol, section.iter_symbols()))
        if kind == "SHT_REL":
            relocations[section["sh_info"]] = tuple(
                Relocation(rel["r_offset"], rel["r_info_sym"], rel["r_info_type"]) for rel in section.iter_relocations()
            )
    return ElfObject(label, tuple(sections), symbols, relocations)


_SECTION_TYPES = {"SHT_NULL": 0, "SHT_PROGBITS": 1, "SHT_SYMTAB": 2, "SHT_STRTAB": 3, "SHT_NOBITS": 8, "SHT_REL": 9}


def _symbol(symbol: Any) -> Symbol:
    info = symbol["st_info"]
    return Symbol(
        symbol.name, _index(symbol["st_shndx"]), symbol["st_value"], symbol["st_size"], info["type"], info["bind"]
    )


def _index(value: Any) -> int:
    """A symbol's section index; the special ones (``SHN_UNDEF``, ``SHN_ABS``...) as -1."""
    return value if isinstance(value, int) else -1
