"""``GenericMap``: any map of a type pybpfmaps has no class for, opened as raw bytes rather than refused.

Listing a host, exploring it in a REPL or dumping what can be dumped must never fail because some
program made a map of a type this version does not know (or knows no idiom for yet). Such a map
opens as a ``GenericMap``: its ``info``, pinning and lifecycle work as for every map, and the dict
interface sends the generic element commands, whose refusals for this type (a ring buffer has no
elements to look up, say) come back as the kernel's errors.
"""

from __future__ import annotations

from pybpfmaps.maps import _display, _registry
from pybpfmaps.maps._mutable import MutableBpfMap


class GenericMap(MutableBpfMap[bytes, bytes]):
    """A map of a type without a pybpfmaps class: keys and values are raw bytes (or typed by its
    BTF); what the kernel does not allow for its type raises the kernel's error."""

    def __repr__(self) -> str:
        kind = f"{type(self).__name__}[{self._handle.info.type_name}]"
        return _display.describe(self._handle, kind, self._pin_path)


_registry.register_fallback(GenericMap)
