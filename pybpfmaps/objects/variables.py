"""``GlobalVariables``: the global variables of one data section of an object (``.rodata``,
``.data``, ``.bss``...), by name, typed from the object's BTF — what a libbpf skeleton's
``skel->rodata->`` is. Before the object is loaded they are its initial contents (a ``.rodata``
constant set here is what the verifier sees); after, they are the map's memory, shared with the
programs (``.rodata`` is then frozen, read only)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from pybpfmaps.btf import Btf
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.objects.map_defs import Variable


class GlobalVariables(Mapping[str, Any]):
    """The variables of *section*: ``v.name`` or ``v["name"]`` reads one, assignment writes it."""

    def __init__(self, section: str, variables: tuple[Variable, ...], btf: Btf | None, contents: bytearray) -> None:
        state = {
            "_section": section,
            "_variables": {variable.name: variable for variable in variables},
            "_codecs": {variable.name: _codec(btf, variable) for variable in variables},
            "_memory": memoryview(contents),
            "_read_only": "",
        }
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def _attach(self, memory: memoryview, read_only: str) -> None:
        """From now on, read and write *memory* (the loaded map's); *read_only* says why writes are refused."""
        object.__setattr__(self, "_memory", memory)
        object.__setattr__(self, "_read_only", read_only)

    def _detach(self, reason: str) -> None:
        """The variables cannot be reached any more, for *reason*."""
        if isinstance(self._memory, memoryview):
            self._memory.release()
        object.__setattr__(self, "_memory", None)
        object.__setattr__(self, "_read_only", reason)

    def _view(self, variable: Variable) -> memoryview:
        if self._memory is None:
            raise BpfArgumentError(f"{self._section} variable {variable.name!r} cannot be reached: {self._read_only}")
        return self._memory[variable.offset : variable.offset + variable.size]  # type: ignore[no-any-return]

    def _variable(self, name: str) -> Variable:
        try:
            return self._variables[name]  # type: ignore[no-any-return]
        except KeyError:
            known = ", ".join(self._variables) or "no named variables"
            raise KeyError(f"{self._section} has no variable {name!r} (it has {known})") from None

    def codec(self, name: str) -> Codec[Any]:
        """The codec of variable *name* (its type in the object's BTF)."""
        self._variable(name)
        return self._codecs[name]  # type: ignore[no-any-return]

    def __getitem__(self, name: str) -> Any:
        variable = self._variable(name)
        return self._codecs[name].unpack(bytes(self._view(variable)))

    def __setitem__(self, name: str, value: Any) -> None:
        variable = self._variable(name)
        view = self._view(variable)
        if self._read_only:
            raise BpfArgumentError(f"{self._section} variable {name!r} cannot be set: {self._read_only}")
        view[:] = self._codecs[name].pack(value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._variables})

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self[name]!r}" for name in self._variables)
        return f"<{self._section}: {shown}>"


def _codec(btf: Btf | None, variable: Variable) -> Codec[Any]:
    if btf is not None and variable.type_id:
        with contextlib.suppress(Exception):  # a type without a Python form stays bytes
            codec = btf.codec(variable.type_id)
            if codec.size == variable.size:
                return codec
    return RawCodec(variable.size)
