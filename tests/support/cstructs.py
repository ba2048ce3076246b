"""Random struct layouts rendered twice: as attrs classes for pybpfmaps and as C for gcc.

A layout is a list of fields; each field knows its pybpfmaps codec, its C declaration, a
hypothesis strategy for its value, and the C statements that store a value into it. gcc then
reports sizeof/_Alignof/offsetof and the bytes of a zeroed struct with the values stored, which
the tests compare with ``StructCodec``.
"""

from __future__ import annotations

import enum
import ipaddress
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st

import pybpfmaps
from pybpfmaps import Codec, StructCodec


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2
    BLUE = 300


@dataclass
class FieldSpec:
    codec: Codec[Any]
    declare: Callable[[str], str]  # name -> "uint32_t name"
    values: st.SearchStrategy[Any]
    store: Callable[[str, Any], list[str]]  # (C lvalue path, value) -> statements
    pad: bool = False
    nested: LayoutSpec | None = None


@dataclass
class LayoutSpec:
    name: str
    fields: list[FieldSpec]
    packed: bool
    cls: type = object

    def codec(self) -> StructCodec[Any]:
        return pybpfmaps.StructCodec(self.cls, packed=self.packed)


def _c_bytes(data: bytes) -> str:
    return '"' + "".join(f"\\x{byte:02x}" for byte in data) + '"'


def _int_field(codec: Any, ctype: str, swap: str | None = None) -> FieldSpec:
    def store(path: str, value: int) -> list[str]:
        literal = f"({ctype})({value & (2**64 - 1)}ULL)"  # two's complement, as C converts it
        return [f"{path} = {swap}({literal});" if swap else f"{path} = {literal};"]

    return FieldSpec(codec, lambda n: f"{ctype} {n}", st.integers(codec.minimum, codec.maximum), store)


INTS = [
    _int_field(pybpfmaps.u8, "uint8_t"),
    _int_field(pybpfmaps.u16, "uint16_t"),
    _int_field(pybpfmaps.u32, "uint32_t"),
    _int_field(pybpfmaps.u64, "uint64_t"),
    _int_field(pybpfmaps.i8, "int8_t"),
    _int_field(pybpfmaps.i16, "int16_t"),
    _int_field(pybpfmaps.i32, "int32_t"),
    _int_field(pybpfmaps.i64, "int64_t"),
    _int_field(pybpfmaps.be16, "uint16_t", "htons"),
    _int_field(pybpfmaps.be32, "uint32_t", "htonl"),
    _int_field(pybpfmaps.be64, "uint64_t", "htobe64"),
]


def _memcpy_field(codec: Codec[Any], declare: Callable[[str], str], values: st.SearchStrategy[Any]) -> FieldSpec:
    return FieldSpec(
        codec, declare, values, lambda path, value: [f"memcpy(&{path}, {_c_bytes(codec.pack(value))}, {codec.size});"]
    )


def _boolean() -> FieldSpec:
    return FieldSpec(pybpfmaps.boolean, lambda n: f"_Bool {n}", st.booleans(), lambda p, v: [f"{p} = {int(v)};"])


def _raw(size: int) -> FieldSpec:
    return _memcpy_field(pybpfmaps.raw(size), lambda n: f"uint8_t {n}[{size}]", st.binary(min_size=size, max_size=size))


def _string(size: int) -> FieldSpec:
    text = st.text("abcxyz \u00e9", max_size=size // 2)  # at most 2 UTF-8 bytes a character
    return _memcpy_field(pybpfmaps.string(size), lambda n: f"char {n}[{size}]", text)


def _address(version: int) -> FieldSpec:
    codec, ctype, family = (
        (pybpfmaps.ipv4, "in_addr", "AF_INET") if version == 4 else (pybpfmaps.ipv6, "in6_addr", "AF_INET6")
    )

    def store(path: str, value: Any) -> list[str]:
        return [f'inet_pton({family}, "{value}", &{path});']

    return FieldSpec(codec, lambda n: f"struct {ctype} {n}", st.ip_addresses(v=4 if version == 4 else 6), store)


def _mac() -> FieldSpec:
    return _memcpy_field(pybpfmaps.mac, lambda n: f"uint8_t {n}[6]", st.binary(min_size=6, max_size=6).map(bytes.hex))


def _enum(base: Any, ctype: str) -> FieldSpec:
    members = [member for member in Color if member <= base.maximum]
    return FieldSpec(
        pybpfmaps.int_enum(Color, base),
        lambda n: f"{ctype} {n}",
        st.sampled_from(members),
        lambda p, v: [f"{p} = ({ctype}){int(v)};"],
    )


def _padding(size: int) -> FieldSpec:
    """A C padding member; in the attrs class it becomes ``pad_after`` of the field before it."""
    return FieldSpec(pybpfmaps.raw(size), lambda n: f"uint8_t {n}[{size}]", st.none(), lambda p, v: [], pad=True)


def _others() -> st.SearchStrategy[FieldSpec]:
    sizes = st.integers(1, 20)
    enums = st.sampled_from([(pybpfmaps.u8, "uint8_t"), (pybpfmaps.u16, "uint16_t"), (pybpfmaps.u32, "uint32_t")])
    return st.one_of(
        st.just(_boolean()),
        sizes.map(_raw),
        sizes.map(_string),
        st.sampled_from([4, 6]).map(_address),
        st.just(_mac()),
        enums.map(lambda pair: _enum(*pair)),
        st.tuples(st.sampled_from(INTS), st.integers(1, 5)).map(lambda pair: _array_field(*pair)),
        sizes.map(_padding),
    )


def _array_field(element: FieldSpec, length: int) -> FieldSpec:
    def store(path: str, values: tuple[Any, ...]) -> list[str]:
        return [line for i, value in enumerate(values) for line in element.store(f"{path}[{i}]", value)]

    return FieldSpec(
        pybpfmaps.array(element.codec, length),
        lambda n: f"{element.declare(n)}[{length}]",
        st.lists(element.values, min_size=length, max_size=length).map(tuple),
        store,
    )


_counter = iter(range(10**9))


def layouts(depth: int = 2) -> st.SearchStrategy[LayoutSpec]:
    """A strategy of layouts whose fields may themselves be (smaller) layouts."""
    leaf = st.one_of(st.sampled_from(INTS), _others())
    if depth > 0:
        nested = layouts(depth - 1).map(_nested_field)
        leaf = st.one_of(leaf, nested)
    return st.builds(_make_layout, st.lists(leaf, min_size=1, max_size=7), st.booleans())


def _make_layout(fields: list[FieldSpec], packed: bool) -> LayoutSpec:
    """A C struct of *fields*; a padding member becomes ``pad_after`` of the field before it."""
    while fields and fields[0].pad:
        fields = fields[1:]
    if not fields:
        fields = [INTS[0]]
    name = f"S{next(_counter)}"
    attributes = {}
    for i, spec in enumerate(fields):
        if not spec.pad:
            following = 0
            for later in fields[i + 1 :]:
                if not later.pad:
                    break
                following += later.codec.size
            attributes[f"f{i}"] = spec.codec(pad_after=following)
    cls = attrs.make_class(name, attributes, frozen=True)
    return LayoutSpec(name, fields, packed, cls)


def _nested_field(inner: LayoutSpec) -> FieldSpec:
    codec = inner.codec()

    def values() -> st.SearchStrategy[Any]:
        return st.tuples(*[spec.values for spec in inner.fields if not spec.pad]).map(lambda v: inner.cls(*v))

    def store(path: str, value: Any) -> list[str]:
        lines = []
        for i, spec in enumerate(inner.fields):
            if not spec.pad:
                lines += spec.store(f"{path}.f{i}", getattr(value, f"f{i}"))
        return lines

    return FieldSpec(codec, lambda n: f"struct {inner.name} {n}", values(), store, nested=inner)


def instances(layout: LayoutSpec) -> st.SearchStrategy[Any]:
    """Instances of the layout's class with hypothesis-chosen field values."""
    return st.tuples(*[spec.values for spec in layout.fields if not spec.pad]).map(lambda v: layout.cls(*v))


def c_declarations(layout: LayoutSpec, done: set[str]) -> list[str]:
    """C struct definitions for a layout and, first, every layout nested in it."""
    lines: list[str] = []
    for spec in layout.fields:
        inner = spec.nested
        if inner is not None and inner.name not in done:
            lines += c_declarations(inner, done)
    members = "".join(f"    {spec.declare(f'f{i}')};\n" for i, spec in enumerate(layout.fields))
    attribute = " __attribute__((packed))" if layout.packed else ""
    lines.append(f"struct {layout.name} {{\n{members}}}{attribute};\n")
    done.add(layout.name)
    return lines


def run_c(cases: list[tuple[LayoutSpec, Any]], workdir: Path) -> list[dict[str, Any]]:
    """For each (layout, instance): gcc's sizeof, alignof, field offsets and the stored bytes."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("these tests need a C compiler (Debian: gcc)")
    done: set[str] = set()
    decls: list[str] = []
    body: list[str] = []
    for number, (layout, instance) in enumerate(cases):
        decls += c_declarations(layout, done)
        body.append(f"  {{ struct {layout.name} v; memset(&v, 0, sizeof v);")
        for i, spec in enumerate(layout.fields):
            if not spec.pad:
                body += [f"    {line}" for line in spec.store(f"v.f{i}", getattr(instance, f"f{i}"))]
        printed = " ".join(f'printf(" %zu", offsetof(struct {layout.name}, f{i}));' for i in range(len(layout.fields)))
        body.append(f'    printf("{number} %zu %zu", sizeof v, _Alignof(struct {layout.name})); {printed}')
        body.append('    printf(" "); dump(&v, sizeof v); printf("\\n"); }')
    source = workdir / "layouts.c"
    source.write_text(
        "#define _DEFAULT_SOURCE\n#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n"
        "#include <endian.h>\n#include <arpa/inet.h>\n#include <netinet/in.h>\n"
        "static void dump(const void *p, size_t n) { const unsigned char *b = p; "
        'for (size_t i = 0; i < n; i++) printf("%02x", b[i]); }\n'
        + "".join(decls)
        + "int main(void) {\n"
        + "\n".join(body)
        + "\n  return 0;\n}\n"
    )
    binary = workdir / "layouts"
    subprocess.run([compiler, "-O0", "-Wall", "-Werror", "-Wno-unused", "-o", str(binary), str(source)], check=True)
    results: list[dict[str, Any]] = []
    for line in subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout.splitlines():
        _, size, align, *rest = line.split()
        offsets = [int(x) for x in rest[:-1]]
        results.append({"size": int(size), "align": int(align), "offsets": offsets, "bytes": bytes.fromhex(rest[-1])})
    return results


__all__ = ["Color", "LayoutSpec", "instances", "ipaddress", "layouts", "run_c"]
