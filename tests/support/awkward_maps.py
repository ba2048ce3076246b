"""Maps as other software leaves them on a machine: awkward BTF, types pybpfmaps has no class for, no Python type.

``make_all(obj, where)`` pins under *where* the maps of tests/bpf/awkward.bpf.c (loaded by
bpftool: a spin lock first, bitfields, unions, global data), a queue, a stack, a bloom filter and
a ring buffer (made raw: no class for them), and an array whose value holds a ``long double``
(BTF with a 16-byte float, which no Python type holds). Used by the churn that runs beside the
suite and by the command-line tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from pybpfmaps import MapType
from pybpfmaps._sys import commands
from pybpfmaps.btf.format import Builder
from tests.support import clang

OTHER_TYPES = {
    "queue": (MapType.QUEUE, 0, 4, 8),
    "stack": (MapType.STACK, 0, 8, 8),
    "bloom": (MapType.BLOOM_FILTER, 0, 4, 64),
    "ringbuf": (MapType.RINGBUF, 0, 0, 4096),
}
"""name: (map type, key size, value size, max entries) of maps made without BTF, of types that have no keys."""


def build(out_dir: Path) -> Path:
    return clang.build(clang.SOURCES / "awkward.bpf.c", out_dir)


def make_all(obj: Path, where: Path) -> int:
    """Pin every kind of awkward map under *where*; returns how many maps that made."""
    clang.load(obj, where / "object")
    made = len(os.listdir(where / "object" / "maps"))
    for name, (map_type, key_size, value_size, entries) in OTHER_TYPES.items():
        pin(commands.map_create(int(map_type), key_size, value_size, entries, 0, name.encode()), where / name)
        made += 1
    pin(untypeable_map(), where / "untypeable")
    return made + 1


def untypeable_map() -> int:
    """An array of ``struct odd { long double x; int y; }`` (32 bytes): ``x`` has no Python type; its fd."""
    builder = Builder()
    long_double = builder.float_type("long double", 16)
    value = builder.struct("odd", 32, [("x", long_double, 0), ("y", builder.int_type("int", 4, signed=True), 16)])
    key = builder.int_type("unsigned int", 4)
    btf_fd = commands.btf_load(builder.blob())
    try:
        return commands.map_create(int(MapType.ARRAY), 4, 32, 2, 0, b"untypeable", (btf_fd, key, value))
    finally:
        os.close(btf_fd)


def pin(fd: int, path: Path) -> None:
    try:
        commands.obj_pin(fd, os.fsencode(path))
    finally:
        os.close(fd)
