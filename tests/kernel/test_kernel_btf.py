"""Every struct and union of the running kernel's BTF (and its modules') gets a codec that round-trips any bytes.

docs/maps-made-elsewhere.md reports the number of types that stay raw for want of a Python type
(the goal, and the count on the test kernel, is zero).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pybpfmaps import Btf
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.source import vmlinux
from pybpfmaps.codecs.aggregates import untyped_parts

pytestmark = pytest.mark.needs_kernel("5.11", "the kernel's BTF in /sys/kernel/btf, modules' split BTF included")

KERNEL_BTF = Path("/sys/kernel/btf")
SOURCES = sorted(KERNEL_BTF.iterdir(), key=lambda path: path.name != "vmlinux")  # vmlinux first: the base


@pytest.mark.parametrize("source", SOURCES, ids=[path.name for path in SOURCES])
def test_every_struct_and_union_round_trips_random_bytes(source: Path) -> None:
    types = Btf.load(source)
    checked, untyped, wrong = 0, [], []
    first = 1 if source.name == "vmlinux" else len(vmlinux()) + 1  # a module's split BTF: its own types only
    own = [
        type_id for type_id, kind in types.types.items() if kind.kind in (btf.STRUCT, btf.UNION) and type_id >= first
    ]
    for type_id in own:
        codec = types.codec(type_id)
        parts = untyped_parts(codec)
        if parts:
            untyped.append(f"{type_id} {types.types[type_id].name}: {parts}")
            continue
        rng = random.Random(type_id)
        for _ in range(2):
            data = rng.randbytes(codec.size)
            if codec.pack(codec.unpack(data)) != data:
                wrong.append(f"{type_id} {types.types[type_id].name}")
                break
        checked += 1
    assert wrong == []
    assert untyped == [], f"{len(untyped)} of {len(own)} types have parts without a Python type"
    assert checked == len(own)
    if source.name == "vmlinux":
        assert checked > 1000
