"""The maps a BPF object declares: its BTF-defined maps (the ``.maps`` section, libbpf's
``__uint``/``__type``/``__array`` convention) and its global data (``.data``, ``.bss``, ``.rodata*``,
each an array of one element, as libbpf makes them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import type_size
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.objects.elf import ElfObject

_NUMBERS = frozenset(
    {"type", "max_entries", "map_flags", "numa_node", "key_size", "value_size", "pinning", "map_extra"}
)
GLOBAL_DATA = (".data", ".bss", ".rodata")
"""Sections that hold global variables (and ``.data.*``, ``.rodata.*``: named ones)."""
PIN_BY_NAME = 1
"""``LIBBPF_PIN_BY_NAME``: pin the map under its name in the pin directory, reusing one there."""


@attrs.frozen
class Variable:
    """A global variable (or ``__kconfig`` extern) of a data section: where it lies in the section's
    map value, and its type in the object's BTF (0: not known)."""

    name: str
    offset: int
    size: int
    type_id: int = 0


def _unless_sealed(instance: Any, attribute: Any, value: Any) -> Any:
    if getattr(instance, "_sealed", False):
        raise BpfArgumentError(f"map {instance.name!r} is loaded: its {attribute.name} can only be set before load()")
    return value


@attrs.define(on_setattr=_unless_sealed)
class MapSpec:
    """A map as an object declares it, before it exists: what ``BPF_MAP_CREATE`` will be given.

    *key_type*/*value_type* are ids in the object's BTF (0: only sizes given); *section* is where it
    was declared; *data* the initial contents of a global data map. Until the object is loaded,
    ``max_entries``, ``flags``, ``pin_path`` and the rest can be changed.
    """

    name: str
    map_type: MapType | int
    key_size: int
    value_size: int
    max_entries: int
    flags: MapFlags | int = 0
    key_type: int = 0
    value_type: int = 0
    pinning: int = 0
    map_extra: int = 0
    numa_node: int = 0
    inner: MapSpec | None = None
    section: str = ".maps"
    data: bytes | None = None
    variables: tuple[Variable, ...] = ()
    """For global data and ``.kconfig``: the variables in the map's one value."""
    initial: tuple[tuple[int, str], ...] = ()
    """``values`` initialisers of a map of maps or prog array: (slot, the name of the map or program)."""
    pin_path: str | None = None
    """Where the map is pinned at load (reusing a compatible map pinned there); ``None``: not pinned."""
    _sealed: bool = attrs.field(default=False, init=False, repr=False, eq=False, on_setattr=attrs.setters.NO_OP)

    def seal(self) -> None:
        """Refuse changes from now on (the map is made)."""
        object.__setattr__(self, "_sealed", True)

    @property
    def type_name(self) -> str:
        """The type in bpftool's spelling, ``"hash"``."""
        return self.map_type.name.lower() if isinstance(self.map_type, MapType) else f"type {self.map_type}"

    @property
    def holds_globals(self) -> bool:
        """Whether the map is a data section's (``.data``, ``.bss``, ``.rodata``, ``.data.NAME``...):
        the global variables a program defines, not a ``.maps`` map or the ``.kconfig`` externs."""
        return self.section not in (".maps", ".kconfig")


def datasec_id(types: Mapping[int, btf.BtfType], section: str) -> int:
    """The id of the DATASEC that describes *section*; 0 when there is none."""
    return next((i for i, t in types.items() if t.kind == btf.DATASEC and t.name == section), 0)


def btf_maps(types: Mapping[int, btf.BtfType]) -> list[MapSpec]:
    """The maps of the ``.maps`` DATASEC, in order."""
    section = types.get(datasec_id(types, ".maps"))
    if section is None:
        return []
    found = []
    for variable in section.members:
        var = types.get(variable.type)
        if var is None or var.kind != btf.VAR:
            raise BpfArgumentError(f".maps holds BTF type {variable.type}, not a variable")
        found.append(_definition(types, var.name, var.ref))
    return found


def _definition(types: Mapping[int, btf.BtfType], name: str, type_id: int) -> MapSpec:
    struct, _ = btf.resolve(types, type_id)
    if struct is None or struct.kind != btf.STRUCT:
        raise BpfArgumentError(f"map {name!r} is not declared as a struct in .maps")
    numbers: dict[str, int] = {}
    key_type = value_type = 0
    inner: MapSpec | None = None
    for member in struct.members:
        if member.name in _NUMBERS:
            numbers[member.name] = _number(types, member.type, name, member.name)
        elif member.name in ("key", "value"):
            pointer, _ = btf.resolve(types, member.type)
            if pointer is None or pointer.kind != btf.PTR:
                raise BpfArgumentError(f"map {name!r}: {member.name} is not declared with __type()")
            size = type_size(types, pointer.ref)
            if size is None:
                raise BpfArgumentError(f"map {name!r}: the size of its {member.name} type is not known")
            numbers[f"{member.name}_size"] = size
            if member.name == "key":
                key_type = pointer.ref
            else:
                value_type = pointer.ref
        elif member.name == "values":
            inner = _inner(types, member.type, name)
        else:
            raise BpfArgumentError(f"map {name!r} has an attribute pybpfmaps does not know: {member.name!r}")
    if "type" not in numbers:
        raise BpfArgumentError(f"map {name!r} has no type (__uint(type, ...))")
    if any(member.name == "values" for member in struct.members):
        numbers.setdefault("value_size", 4)  # the fd of a map or program, as libbpf sizes it
    kind = numbers["type"]
    return MapSpec(
        name, MapType(kind) if kind in MapType._value2member_map_ else kind, numbers.get("key_size", 0),
        numbers.get("value_size", 0), numbers.get("max_entries", 0), _flags(numbers.get("map_flags", 0)),
        key_type, value_type, numbers.get("pinning", 0), numbers.get("map_extra", 0), numbers.get("numa_node", 0),
        inner,
    )  # fmt: skip


def initial_values(types: Mapping[int, btf.BtfType], elf: ElfObject) -> dict[str, tuple[tuple[int, str], ...]]:
    """The ``values = { [2] = &other }`` initialisers of the ``.maps`` section, by map: each is a
    relocation at ``values[slot]`` of the map's definition, against the map or program it names."""
    section = elf.section(".maps")
    if section is None or section.index not in elf.relocations:
        return {}
    where = sorted((s for s in elf.symbols if s.section == section.index and s.type == "STT_OBJECT"),
                   key=lambda s: s.value)  # fmt: skip
    datasec = types.get(datasec_id(types, ".maps"))
    definitions = {types[m.type].name: types[m.type].ref for m in datasec.members} if datasec is not None else {}
    found: dict[str, list[tuple[int, str]]] = {}
    for relocation in elf.relocations[section.index]:
        symbol = next((s for s in where if s.value <= relocation.offset < s.value + max(s.size, 1)), None)
        struct, _ = btf.resolve(types, definitions.get(symbol.name, 0)) if symbol is not None else (None, [])
        values = next((m for m in struct.members if m.name == "values"), None) if struct is not None else None
        if symbol is None or values is None:
            raise BpfArgumentError(f".maps has a reference at offset {relocation.offset} outside any map's values")
        slot = (relocation.offset - symbol.value - values.bit_offset // 8) // 8
        found.setdefault(symbol.name, []).append((slot, elf.symbols[relocation.symbol].name))
    return {name: tuple(slots) for name, slots in found.items()}


def _number(types: Mapping[int, btf.BtfType], type_id: int, name: str, field: str) -> int:
    """``__uint(field, N)`` is ``int (*field)[N]``; ``__ulong(field, N)`` a pointer to an enum of N."""
    pointer, _ = btf.resolve(types, type_id)
    target, _ = btf.resolve(types, pointer.ref) if pointer is not None and pointer.kind == btf.PTR else (None, [])
    if target is not None and target.kind == btf.ARRAY:
        return target.nelems
    if target is not None and target.kind in (btf.ENUM, btf.ENUM64) and target.values:
        return target.values[0][1]
    raise BpfArgumentError(f"map {name!r}: {field} is not declared with __uint() or __ulong()")


def _inner(types: Mapping[int, btf.BtfType], type_id: int, name: str) -> MapSpec | None:
    """The inner map template of ``__array(values, struct {...})``; ``None`` for a prog array's programs."""
    array, _ = btf.resolve(types, type_id)
    if array is None or array.kind != btf.ARRAY:
        raise BpfArgumentError(f"map {name!r}: values is not declared with __array()")
    pointer, _ = btf.resolve(types, array.ref)
    target, _ = btf.resolve(types, pointer.ref) if pointer is not None and pointer.kind == btf.PTR else (None, [])
    if target is None or target.kind != btf.STRUCT:
        return None  # a prog array's __array(values, int (void *)): programs, not maps
    return _definition(types, f"{name}.inner", pointer.ref)  # type: ignore[union-attr]


def _flags(value: int) -> MapFlags | int:
    try:
        return MapFlags(value)
    except ValueError:
        return value


def global_data(elf: ElfObject, object_name: str, types: Mapping[int, btf.BtfType]) -> list[MapSpec]:
    """The global data maps: one array of one element per data section, named as libbpf names
    them (the object's name, cut short, then the section: ``histogra.rodata``)."""
    found = []
    for section in elf.sections:
        base = next((name for name in GLOBAL_DATA if section.name == name or section.name.startswith(name + ".")), None)
        if base is None or section.size == 0:
            continue
        flags = MapFlags.MMAPABLE | (MapFlags.RDONLY_PROG if base == ".rodata" else MapFlags.NONE)
        data = None if base == ".bss" else section.data
        name = _data_map_name(object_name, section.name)
        variables = _variables(elf, section.index, _section_types(types, section.name))
        found.append(MapSpec(name, MapType.ARRAY, 4, section.size, 1, flags, section=section.name, data=data,
                             variables=variables))  # fmt: skip
    return found


def _section_types(types: Mapping[int, btf.BtfType], section: str) -> dict[str, int]:
    """The type of each variable the section's DATASEC names."""
    datasec = types.get(datasec_id(types, section))
    found = {}
    for member in datasec.members if datasec is not None else ():
        var = types.get(member.type)
        if var is not None and var.kind == btf.VAR:
            found[var.name] = var.ref
    return found


def _variables(elf: ElfObject, section: int, types: Mapping[str, int]) -> tuple[Variable, ...]:
    """The named variables of a data section, from its symbols (their offsets are the ELF's)."""
    symbols = sorted(
        (s for s in elf.symbols if s.section == section and s.type == "STT_OBJECT" and s.name), key=lambda s: s.value
    )
    return tuple(Variable(s.name, s.value, s.size, types.get(s.name, 0)) for s in symbols)


def kconfig(types: Mapping[int, btf.BtfType], object_name: str) -> list[MapSpec]:
    """The ``.kconfig`` map of ``extern ... __kconfig`` variables, laid out as libbpf lays them: each
    at the next multiple of its size (8 at most), read-only for programs."""
    section = types.get(datasec_id(types, ".kconfig"))
    if section is None or not section.members:
        return []
    end = 0
    variables = []
    for variable in section.members:
        var = types.get(variable.type)
        size = type_size(types, var.ref) if var is not None else None
        if var is None or size is None:
            raise BpfArgumentError(f"the size of .kconfig variable {var.name if var else variable.type!r} is not known")
        align = min(size, 8) or 1
        offset = (end + align - 1) // align * align
        variables.append(Variable(var.name, offset, size, var.ref))
        end = offset + size
    flags = MapFlags.MMAPABLE | MapFlags.RDONLY_PROG
    name = _data_map_name(object_name, ".kconfig")
    return [MapSpec(name, MapType.ARRAY, 4, end, 1, flags, section=".kconfig", variables=tuple(variables))]


def _data_map_name(object_name: str, section: str) -> str:
    """libbpf's name: as much of the object's name as fits before the section's (15 characters);
    a named section (``.data.hits``) alone; characters the kernel refuses in names as ``_``."""
    named = "." in section[1:] or len(section) >= 15
    prefix = "" if named else object_name[: min(8, 15 - len(section))]
    return "".join(c if c.isalnum() or c in "._" else "_" for c in (prefix + section)[:15])
