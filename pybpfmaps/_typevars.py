"""The key and value type variables of codecs and maps; type checkers see them default to ``Any``.

With the default, ``BpfMap.from_pin(path)`` is a ``BpfMap[Any, Any]`` while
``HashMap.create(key=u32, value=u64, ...)`` is a ``HashMap[int, int]``. ``TypeVar(default=...)``
exists at run time only from Python 3.13, so the run-time variables are plain ones.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    K = TypeVar("K", default=Any)
    V = TypeVar("V", default=Any)
else:
    from typing import TypeVar

    K = TypeVar("K")
    V = TypeVar("V")

__all__ = ["K", "V"]
