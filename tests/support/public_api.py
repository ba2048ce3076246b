"""The public API as text: every name in ``pybpfmaps.__all__`` with its kind and signature.

tests/support/public_api.txt holds the reviewed snapshot, and tests/unit/test_public_api.py compares it
with what the package exports, so that adding, removing or changing a public name, a public
method or a signature shows up as a diff in review. After a deliberate change, rewrite the
snapshot with ``python -m tests.support.public_api --write`` and say what changed in CHANGELOG.md.
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pybpfmaps

SNAPSHOT = Path(__file__).with_name("public_api.txt")


def signature(obj: Any) -> str:
    """The signature as Python prints it, without the addresses of sentinel defaults."""
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def class_lines(name: str, cls: type) -> list[str]:
    """The class, its bases, and the public members it defines itself or takes from a private
    base (members inherited from a public class are listed under that class)."""
    bases = ", ".join(base.__name__ for base in cls.__bases__ if base is not object)
    lines = [f"class {name}({bases})"]
    if issubclass(cls, enum.Enum):
        return lines + [f"    {name} = {member.value!r}" for name, member in cls.__members__.items()]
    own: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is cls or (klass.__name__.startswith("_") and klass.__module__.startswith("pybpfmaps")):
            own.update(vars(klass))
    for member, value in sorted(own.items()):
        if member.startswith("_") and member != "__init__":
            continue
        if isinstance(value, (classmethod, staticmethod)):
            kind = type(value).__name__
            lines.append(f"    {kind} {member}{signature(value.__func__)}")
        elif isinstance(value, property):
            lines.append(f"    property {member}")
        elif inspect.isfunction(value):
            if member == "__init__" and issubclass(cls, BaseException):
                continue
            lines.append(f"    def {member}{signature(value)}")
        elif not inspect.isclass(value):
            lines.append(f"    attribute {member}")
    return lines


def render() -> str:
    lines: list[str] = []
    for name in sorted(pybpfmaps.__all__):
        obj = getattr(pybpfmaps, name)
        if name == "__version__":
            lines.append("__version__: str")
        elif inspect.isclass(obj):
            lines.extend(class_lines(name, obj))
        elif inspect.isfunction(obj):
            lines.append(f"def {name}{signature(obj)}")
        else:
            lines.append(f"{name}: {type(obj).__name__}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        SNAPSHOT.write_text(render())
    else:
        sys.stdout.write(render())
