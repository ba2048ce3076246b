"""``%load_ext pybpfmaps.ipython``: IPython completes the keys of any map after ``m[``, whatever their
type, as Python source that reads back to the key (``m[Flow(saddr='10.0.0.1', dport=443)]``,
``m['10.0.0.0/8']``, ``m[Color.RED]``), and pybpfmaps' errors show as one line instead of a
traceback (``%xmode`` or ``%debug`` still show it). ``pybpfmaps shell`` loads it.

Only names and attributes are looked up to find the map before ``[``: nothing is called.
"""

from __future__ import annotations

import re
from typing import Any

from pybpfmaps.errors import BpfError
from pybpfmaps.maps import BpfMap, _completion

_SUBSCRIPT = re.compile(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\[([^\[\]]*)$")


def key_completions(namespace: dict[str, Any], line: str) -> tuple[str, list[str]] | None:
    """For *line* ending in ``name[partial`` where *name* is a map in *namespace*: *partial* and the
    key literals (each closed with ``]``) that start with it; else ``None``."""
    found = _SUBSCRIPT.search(line)
    if found is None:
        return None
    target = _lookup(namespace, found.group(1))
    if not isinstance(target, BpfMap) or target.closed:
        return None
    partial = found.group(2)
    stripped = partial.lstrip()
    literals = [_completion.literal(key) + "]" for key in _completion.keys(target._handle)]
    return partial, [partial[: len(partial) - len(stripped)] + text for text in literals if text.startswith(stripped)]


def _lookup(namespace: dict[str, Any], dotted: str) -> Any:
    first, *rest = dotted.split(".")
    value = namespace.get(first)
    for name in rest:
        value = getattr(value, name, None) if not name.startswith("_") else None
    return value


def load_ipython_extension(ip: Any) -> None:
    """Register the key matcher and the one-line errors with the IPython shell *ip*."""
    from IPython.core.completer import SimpleCompletion, context_matcher  # noqa: PLC0415 - IPython only here

    @context_matcher()  # type: ignore[untyped-decorator]
    def map_keys(context: Any) -> dict[str, Any]:
        found = key_completions(ip.user_ns, context.text_until_cursor)
        if found is None:
            return {"completions": [], "suppress": False}
        partial, texts = found
        return {
            "completions": [SimpleCompletion(text=text, type="key") for text in texts],
            "matched_fragment": partial,
            "suppress": True,
        }

    ip.Completer.custom_matchers.append(map_keys)

    def one_line(shell: Any, kind: type, error: BaseException, tb: Any, tb_offset: Any = None) -> None:
        print(f"{kind.__name__}: {error}")

    ip.set_custom_exc((BpfError,), one_line)
