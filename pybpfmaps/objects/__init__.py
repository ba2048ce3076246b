"""BPF objects built by clang, read without loading: ``ObjectSpec.open(path)`` gives the maps and
programs an object file declares (``spec``), read from its ELF sections (``elf``), its BTF-defined
maps (``map_defs``) and its program sections (``sections``)."""

from __future__ import annotations

from pybpfmaps.objects.map_defs import MapSpec
from pybpfmaps.objects.sections import ProgramKind, program_kind
from pybpfmaps.objects.spec import ObjectSpec, ProgramSpec

__all__ = ["MapSpec", "ObjectSpec", "ProgramKind", "ProgramSpec", "program_kind"]
