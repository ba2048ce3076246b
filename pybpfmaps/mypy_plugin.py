"""A mypy plugin: tells mypy's attrs support that pybpfmaps field helpers (``u32()``, ``field(...)``) make fields.

Enable it with ``plugins = ["pybpfmaps.mypy_plugin"]`` in the ``[tool.mypy]`` section. mypy then
checks the ``__init__`` of layout classes: a ``port: int = be16()`` field is a required ``int``
argument, not one with an unknown default. Only mypy imports this module.
"""

from __future__ import annotations

from mypy.plugin import Plugin
from mypy.plugins.attrs import attr_attrib_makers

FIELD_HELPERS = frozenset(
    [f"pybpfmaps.codec.{name}" for name in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")]
    + [f"pybpfmaps.codec.{name}" for name in ("be16", "be32", "be64")]
    + [f"pybpfmaps.scalar.{name}" for name in ("boolean", "ipv4", "ipv6", "mac")]
    + ["pybpfmaps.layout.field", "pybpfmaps.interfaces.ifindex"]
)

attr_attrib_makers.update(FIELD_HELPERS)


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return Plugin
