"""A mypy plugin: tells mypy's attrs support that pybpfmaps field helpers (``u32()``, ``field(...)``) make fields.

Enable it with ``plugins = ["pybpfmaps.mypy_plugin"]`` in the ``[tool.mypy]`` section. mypy then
checks the ``__init__`` of layout classes: a ``port: int = be16()`` field is a required ``int``
argument, not one with an unknown default, and a ``lock: int = spin_lock()`` field is the optional
keyword argument it is at run time. Only mypy imports this module.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_NAMED, ARG_POS, AssignmentStmt, CallExpr, Expression, IntExpr, NameExpr, RefExpr
from mypy.plugin import ClassDefContext, Plugin
from mypy.plugins.attrs import (
    attr_attrib_makers,
    attr_class_makers,
    attr_dataclass_makers,
    attr_define_makers,
    attr_frozen_makers,
    attr_tag_callback,
)

from pybpfmaps import codecs
from pybpfmaps.codecs.base import Codec

FIELD = f"{codecs.structs.__name__}.{codecs.structs.field.__name__}"
SPIN_LOCK = f"{codecs.locks.__name__}.spin_lock"
FIELD_HELPERS = frozenset(
    {
        f"{module.__name__}.{name}"  # the name mypy resolves a call of the public codec to
        for module in codecs.MODULES
        for name in module.__all__
        if isinstance(getattr(module, name), Codec)
    }
    | {FIELD}
)
"""Every ready-made codec (calling one makes a field) and ``field``, derived from the codec modules."""

attr_attrib_makers.update(FIELD_HELPERS)


class PybpfmapsPlugin(Plugin):
    """Spells ``spin_lock(...)`` fields as ``field(spin_lock, kw_only=True, default=0, ...)`` for mypy."""

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        makers = attr_class_makers | attr_dataclass_makers | attr_frozen_makers | attr_define_makers
        return _tag_with_spin_lock_defaults if fullname in makers else None


def _tag_with_spin_lock_defaults(ctx: ClassDefContext) -> None:
    """Rewrites the class's ``spin_lock()`` calls where mypy's attrs support reads field options, then tags it."""
    field_symbol = ctx.api.lookup_fully_qualified_or_none(FIELD)
    for stmt in ctx.cls.defs.body:
        call = stmt.rvalue if isinstance(stmt, AssignmentStmt) else None
        if field_symbol is None or not isinstance(call, CallExpr):
            continue
        if not isinstance(call.callee, RefExpr) or call.callee.fullname != SPIN_LOCK:
            continue
        field_ref = NameExpr("field")
        field_ref.node, field_ref.fullname, field_ref.kind = field_symbol.node, FIELD, field_symbol.kind
        true = NameExpr("True")
        true.fullname = "builtins.True"
        defaults: dict[str, Expression] = {"kw_only": true, "default": IntExpr(0)}
        extra = {name: value for name, value in defaults.items() if name not in call.arg_names}
        call.args = [call.callee, *call.args, *extra.values()]
        call.arg_names = [None, *call.arg_names, *extra]
        call.arg_kinds = [ARG_POS, *call.arg_kinds, *(ARG_NAMED for _ in extra)]
        call.callee = field_ref
    attr_tag_callback(ctx)


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return PybpfmapsPlugin
