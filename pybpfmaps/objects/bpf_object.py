"""``BpfObject``: a clang-built BPF object in two phases, as libbpf has them. ``BpfObject.open(path)``
reads it; until ``load()``, its maps' sizes, flags and pins (``map_specs``) and its global
variables (``rodata``, ``data``, ``bss``) can be changed; ``load()`` creates the maps and loads the
programs, after which ``maps`` and ``programs`` hold them by name. ``BpfObject.load(path)`` does
both in one step."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, overload

import attrs

from pybpfmaps.errors import BpfArgumentError, BpfError, NotSupportedError
from pybpfmaps.flags import MapType
from pybpfmaps.links import BpfLink
from pybpfmaps.maps import MapCore
from pybpfmaps.maps.memory import ArrayMemory
from pybpfmaps.objects import attach as auto_attach
from pybpfmaps.objects import loader, pins
from pybpfmaps.objects.map_defs import PIN_BY_NAME, MapSpec
from pybpfmaps.objects.spec import ObjectSpec, ProgramSpec
from pybpfmaps.objects.variables import GlobalVariables
from pybpfmaps.program import BpfProgram

Source = str | os.PathLike[str] | bytes
M = TypeVar("M", bound=MapCore)


class _OpenAndLoad(Protocol):
    def __call__(self, source: Source, *, name: str | None = None, pin_root: str = pins.DEFAULT_ROOT) -> BpfObject: ...


class _Load:
    """``BpfObject.load(path)`` opens and loads in one step; ``obj.load()`` loads an opened object."""

    @overload
    def __get__(self, instance: None, owner: type[BpfObject]) -> _OpenAndLoad: ...
    @overload
    def __get__(self, instance: BpfObject, owner: type[BpfObject]) -> Any: ...
    def __get__(self, instance: BpfObject | None, owner: type[BpfObject]) -> Any:
        if instance is None:

            def open_and_load(
                source: Source, *, name: str | None = None, pin_root: str = pins.DEFAULT_ROOT
            ) -> BpfObject:
                return owner.open(source, name=name, pin_root=pin_root)._load()

            open_and_load.__doc__ = "Open the object at *source* and load it: ``open(...).load()``."
            return open_and_load
        return instance._load


class BpfObject:
    """The maps and programs of one object file, by name: opened (``open``), then loaded (``load``).

    ``close()`` or the end of a ``with`` block closes the maps and programs; pinned ones live on.
    """

    load = _Load()
    """``BpfObject.load(source, *, name=None, pin_root="/sys/fs/bpf")`` opens an object file and loads
    it in one step; ``obj.load()`` loads an object ``open()`` read. Either returns the object: create
    the maps (or reuse those pinned by name), write global data, load the programs. It loads once;
    after it, ``maps``, ``programs`` and the global variables are the kernel's.

    Raises:
        VerifierError: a program was refused: ``log`` says why, with the C lines.
        NotSupportedError: the object uses something pybpfmaps does not load yet (kfuncs...).
    """

    def __init__(self, spec: ObjectSpec, pin_root: str = pins.DEFAULT_ROOT) -> None:
        self.spec = spec
        """What the object file declares, as read."""
        self.map_specs: Mapping[str, MapSpec] = MappingProxyType(
            {name: attrs.evolve(m, pin_path=_pin(m, pin_root)) for name, m in spec.maps.items()}
        )
        """Each map as it will be made: set ``max_entries``, ``flags``, ``pin_path``... before ``load()``."""
        self.program_specs: Mapping[str, ProgramSpec] = spec.programs
        self._contents = {name: loader.contents(spec, m) for name, m in spec.maps.items() if m.section != ".kconfig"}
        self._variables = {
            m.section: GlobalVariables(m.section, m.variables, spec.btf, self._contents[name] or bytearray())
            for name, m in spec.maps.items() if m.holds_globals
        }  # fmt: skip
        self._memory: list[ArrayMemory] = []
        self._links: dict[str, BpfLink] = {}
        self._maps: dict[str, MapCore] | None = None
        self._programs: dict[str, BpfProgram] | None = None
        self._state = "opened"

    @classmethod
    def open(cls, source: Source, *, name: str | None = None, pin_root: str = pins.DEFAULT_ROOT) -> BpfObject:
        """Read an object file (a path, or its bytes) without loading anything. *name*: the object's
        name (default: the file's, up to its first dot); *pin_root*: where maps declared with
        ``LIBBPF_PIN_BY_NAME`` are pinned (and reused when compatible ones are there)."""
        return cls(ObjectSpec.open(source, name), pin_root)

    def _load(self) -> BpfObject:
        """Create the maps and load the programs; the object's settings are fixed from then on."""
        if self._state != "opened":
            raise BpfArgumentError(f"object {self.spec.name!r} is {self._state}: it loads once")
        _refuse_unsupported(self.spec)
        self._state = "loading"
        for map_spec in self.map_specs.values():
            map_spec.seal()
        maps: dict[str, MapCore] = {}
        programs: dict[str, BpfProgram] = {}
        pinned: list[MapCore] = []
        btf_fd = loader.program_btf(self.spec)
        try:
            reused: set[str] = set()
            for name, map_spec in self.map_specs.items():
                data = (
                    self._contents.get(name) if map_spec.section != ".kconfig" else loader.contents(self.spec, map_spec)
                )
                maps[name], was_reused = loader.create(
                    self.spec, map_spec, bytes(data) if data is not None else None, btf_fd
                )
                if was_reused:
                    reused.add(name)
                elif map_spec.pin_path is not None:
                    pinned.append(maps[name])
            for name, map_spec in self.map_specs.items():
                if map_spec.initial and map_spec.map_type != MapType.PROG_ARRAY and name not in reused:
                    loader.fill(maps[name], map_spec.initial, maps)
            info = loader.ext(self.spec)  # .BTF.ext, parsed once for all the programs
            for program in self.spec.programs.values():
                programs[program.name] = loader.load(self.spec, program, maps, btf_fd, info)
            for name, map_spec in self.map_specs.items():
                if map_spec.initial and map_spec.map_type == MapType.PROG_ARRAY and name not in reused:
                    loader.fill(maps[name], map_spec.initial, programs)
            self._attach_variables(maps)
        except BaseException:
            self._state = "not loaded (its load failed)"
            for variables in self._variables.values():
                variables._detach(f"object {self.spec.name!r} failed to load")
            for made in pinned:
                with contextlib.suppress(Exception):
                    made.unpin()
            _close_all(programs, maps, self._memory)
            raise
        finally:
            if btf_fd is not None:
                os.close(btf_fd)
        self._maps, self._programs, self._state = maps, programs, "loaded"
        return self

    def _attach_variables(self, maps: Mapping[str, MapCore]) -> None:
        for name, map_spec in self.map_specs.items():
            variables = self._variables.get(map_spec.section)
            made = maps[name]
            if variables is None or not hasattr(made, "memory"):
                continue
            try:
                memory: ArrayMemory = made.memory()
            except BpfError as exc:
                variables._detach(f"the loaded map cannot be memory mapped ({exc})")
                continue
            self._memory.append(memory)
            frozen = "it is in .rodata, frozen once loaded: set it before load()"
            variables._attach(memory.raw[: map_spec.value_size], "" if memory.writable else frozen)

    @property
    def loaded(self) -> bool:
        return self._state == "loaded"

    @property
    def maps(self) -> Mapping[str, Any]:
        """The maps by name, each opened as its class (``HashMap``, ``ArrayMap``...) with codecs from
        the object's BTF; ``map(name, cls)`` gives one typed as that class."""
        if self._maps is None:
            raise self._not_loaded("maps", "map_specs[name] sets a map's max_entries, flags and pin_path")
        return MappingProxyType(self._maps)

    def map(self, name: str, cls: type[M]) -> M:
        """The map *name*, checked to be a *cls* (``obj.map("flows", HashMap)``): typed for mypy."""
        found = self.maps[name]
        if not isinstance(found, cls):
            raise BpfArgumentError(
                f"map {name!r} of {self.spec.name!r} opened as {type(found).__name__}, not {cls.__name__}"
            )
        return found

    @property
    def programs(self) -> Mapping[str, BpfProgram]:
        """The programs by name (their function's name)."""
        if self._programs is None:
            raise self._not_loaded("programs", "program_specs[name] shows a program's section and kind")
        return MappingProxyType(self._programs)

    def attach(self, name: str) -> BpfLink:
        """Attach program *name* where its section says (a tracepoint, kprobe, fentry...); its link,
        which the object keeps too (``links``) and closes with itself."""
        programs = self.programs
        if name not in programs:
            raise BpfArgumentError(f"object {self.spec.name!r} has no program {name!r} (it has {', '.join(programs)})")
        self._links[name] = auto_attach.attach(programs[name], self.program_specs[name])
        return self._links[name]

    def attach_all(self) -> dict[str, BpfLink]:
        """Attach every program whose section says where (libbpf's skeleton ``attach``); the links by name."""
        return {name: self.attach(name) for name, spec in self.program_specs.items() if auto_attach.can_attach(spec)}

    @property
    def links(self) -> Mapping[str, BpfLink]:
        """The links ``attach()`` made, by program name."""
        return MappingProxyType(self._links)

    def _not_loaded(self, what: str, before: str) -> BpfArgumentError:
        return BpfArgumentError(f"object {self.spec.name!r} is {self._state}: its {what} exist once load() made "
                                f"them (before, {before})")  # fmt: skip

    def variables(self, section: str) -> GlobalVariables:
        """The global variables of a data section (``".rodata"``, ``".data"``, ``".bss"``,
        ``".data.counters"``...), by name, typed from the object's BTF."""
        try:
            return self._variables[section]
        except KeyError:
            have = ", ".join(self._variables) or "none"
            raise BpfArgumentError(
                f"object {self.spec.name!r} has no {section} section (its data sections: {have})"
            ) from None

    @property
    def rodata(self) -> GlobalVariables:
        """The ``const volatile`` variables: set them before ``load()``, the verifier takes them as constants."""
        return self.variables(".rodata")

    @property
    def data(self) -> GlobalVariables:
        """The initialised global variables (``.data``)."""
        return self.variables(".data")

    @property
    def bss(self) -> GlobalVariables:
        """The zero-initialised global variables (``.bss``)."""
        return self.variables(".bss")

    def close(self) -> None:
        """Close the maps and programs (pinned ones live on, attachments made through links end)."""
        if self._maps is not None or self._programs is not None:
            for variables in self._variables.values():
                variables._detach(f"object {self.spec.name!r} is closed")
            for link in self._links.values():
                with contextlib.suppress(Exception):
                    link.close()
            _close_all(self._programs or {}, self._maps or {}, self._memory)
            self._state = "closed"

    def __enter__(self) -> BpfObject:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<BpfObject {self.spec.name!r} ({self._state}): {len(self.map_specs)} maps, "
                f"{len(self.program_specs)} programs>")  # fmt: skip


UNSUPPORTED = ("struct_ops", ".struct_ops", "kprobe.multi", "kretprobe.multi", "uprobe.multi", "uretprobe.multi",
               "usdt", "freplace", "kprobe.session")  # fmt: skip
"""Sections of things pybpfmaps does not load yet (by the name's start): refused, not left out."""


def _refuse_unsupported(spec: ObjectSpec) -> None:
    for section in spec.elf.sections:
        prefix = section.name.split("/", 1)[0]
        if prefix in UNSUPPORTED or prefix.removesuffix(".s") in UNSUPPORTED:
            raise NotSupportedError(
                None, f"object {spec.name!r} has a {section.name!r} section: {prefix} is not supported yet",
                command=None, map_label=None,
            )  # fmt: skip


def _pin(spec: MapSpec, root: str) -> str | None:
    return os.path.join(root, spec.name) if spec.pinning == PIN_BY_NAME else spec.pin_path


def _close_all(programs: Mapping[str, BpfProgram], maps: Mapping[str, MapCore], memory: list[ArrayMemory]) -> None:
    for mapped in memory:
        with contextlib.suppress(Exception):
            mapped.close()
    for program in programs.values():
        with contextlib.suppress(Exception):
            program.close()
    for made in maps.values():
        with contextlib.suppress(Exception):
            made.close()
