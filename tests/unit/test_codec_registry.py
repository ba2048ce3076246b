"""Codecs are extended in one place: every codec module's names reach the public API, the mypy plugin
and ruff's list of field makers, and every codec answers the questions other layers ask (``hooks``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

import pybpfmaps
from pybpfmaps import codecs
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import type_size
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import BTF_SHAPES, NoBtf, btf_type, from_json, to_json
from pybpfmaps.mypy_plugin import FIELD_HELPERS

ROOT = Path(__file__).resolve().parents[2]
READY_MADE = {name for module in codecs.MODULES for name in module.__all__ if isinstance(getattr(module, name), Codec)}


def test_the_public_api_is_every_codec_module_s_names() -> None:
    assert set(codecs.__all__) <= set(pybpfmaps.__all__)
    for module in codecs.MODULES:
        for name in module.__all__:
            assert getattr(pybpfmaps, name) is getattr(module, name), f"{module.__name__}.{name}"


def test_every_codec_module_is_imported_by_the_package() -> None:
    on_disk = {path.stem for path in Path(codecs.__file__).parent.glob("*.py")} - {"__init__", "hooks"}
    listed = {module.__name__.rsplit(".", 1)[1] for module in codecs.MODULES}
    assert on_disk - {name for name in on_disk if name.startswith("_")} == listed


def test_each_module_s_all_names_what_it_defines() -> None:
    """``__all__`` of a codec module holds only names assigned or defined in that module's source."""
    for module in codecs.MODULES:
        assert module.__file__ is not None
        tree = ast.parse(Path(module.__file__).read_text())
        defined = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
        defined |= {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert set(module.__all__) <= defined, module.__name__


def test_the_mypy_plugin_knows_every_ready_made_codec() -> None:
    assert {name.rsplit(".", 1)[1] for name in FIELD_HELPERS} == READY_MADE | {"field"}


def test_ruff_treats_every_field_maker_as_immutable() -> None:
    """B008 (no calls in argument defaults) must allow ``port: int = be16()`` in users' code and ours."""
    config = (ROOT / "pyproject.toml").read_text()
    listed = re.search(r"^extend-immutable-calls = \[(.*?)\]", config, re.M | re.S)
    assert listed is not None
    assert set(re.findall(r'"([\w.]+)"', listed.group(1))) == {f"pybpfmaps.{name}" for name in READY_MADE | {"field"}}


SAMPLES: list[tuple[str, Any]] = [
    ("u8", 7), ("u16", 65535), ("u32", 1 << 31), ("u64", 1 << 63), ("u128", 1 << 100),
    ("i8", -128), ("i16", -2), ("i32", -(1 << 31)), ("i64", -5), ("i128", -(1 << 100)),
    ("be16", 443), ("be32", 0x0A000001), ("be64", 1 << 40), ("boolean", True), ("f32", 1.5), ("f64", -0.25),
    ("ipv4", "10.0.0.1"), ("ipv6", "::1"), ("lpm_ipv4", "10.0.0.0/8"), ("lpm_ipv6", "fd00::/8"),
    ("mac", "aa:bb:cc:dd:ee:ff"), ("spin_lock", 0), ("ifindex", 1),
]  # fmt: skip


@pytest.mark.parametrize(("name", "sample"), SAMPLES)
def test_every_ready_made_codec_has_btf_and_json(name: str, sample: Any) -> None:
    codec: Codec[Any] = getattr(pybpfmaps, name)
    builder = btf.Builder()
    type_id = btf_type(codec, builder)
    parsed = btf.parse(builder.blob()).types
    assert type_size(parsed, type_id) == codec.size
    value = codec.unpack(codec.pack(sample))
    assert codec.pack(from_json(codec, to_json(codec, value), "value")) == codec.pack(sample)


def test_samples_cover_every_ready_made_codec() -> None:
    assert {name for name, _ in SAMPLES} == READY_MADE


def test_a_codec_without_registrations_has_no_btf_and_plain_json() -> None:
    class Custom(Codec[int]):
        def __init__(self) -> None:
            super().__init__(2, "custom")

        def pack(self, value: int) -> bytes:
            return value.to_bytes(2, "little")

        def unpack(self, data: bytes) -> int:
            return int.from_bytes(data, "little")

    with pytest.raises(NoBtf):
        btf_type(Custom(), btf.Builder())
    assert from_json(Custom(), "0x10", "key") == 16
    assert to_json(Custom(), 16) == 16


def test_btf_shapes_decode_to_the_registered_codecs() -> None:
    assert BTF_SHAPES.ints[(4, False)] is pybpfmaps.u32
    assert BTF_SHAPES.typedefs["__be32"] is pybpfmaps.be32
    assert BTF_SHAPES.structs[("in_addr", 4)] is pybpfmaps.ipv4
    assert BTF_SHAPES.structs[("bpf_spin_lock", 4)] is pybpfmaps.spin_lock
    assert BTF_SHAPES.floats[8] is pybpfmaps.f64
    assert BTF_SHAPES.boolean is pybpfmaps.boolean
