"""Codecs turn Python keys and values into the fixed-size bytes a map holds, and back.

One module per family of C types, each holding its codec classes, its ready-made codecs and its
registrations (``hooks``: its BTF type, the BTF shapes it decodes, command-line JSON): ``ints``,
``raw_bytes``, ``booleans``, ``floats``, ``strings``, ``addresses``, ``enums``, ``arrays``,
``locks`` (``spin_lock``), ``interfaces``, ``percpu_values``, ``structs`` (attrs classes laid out as C
structs) and ``aggregates`` (structs, unions and data sections read from BTF). A new codec is a
new module, imported here, whose ``__all__`` names what it adds to the public API.
"""

from pybpfmaps.codecs import (
    addresses,
    aggregates,
    arrays,
    base,
    booleans,
    btf_classes,
    enums,
    floats,
    interfaces,
    ints,
    locks,
    percpu_values,
    raw_bytes,
    strings,
    structs,
)
from pybpfmaps.codecs.addresses import *  # noqa: F403
from pybpfmaps.codecs.arrays import *  # noqa: F403
from pybpfmaps.codecs.base import *  # noqa: F403
from pybpfmaps.codecs.booleans import *  # noqa: F403
from pybpfmaps.codecs.btf_classes import *  # noqa: F403
from pybpfmaps.codecs.enums import *  # noqa: F403
from pybpfmaps.codecs.floats import *  # noqa: F403
from pybpfmaps.codecs.interfaces import *  # noqa: F403
from pybpfmaps.codecs.ints import *  # noqa: F403
from pybpfmaps.codecs.locks import *  # noqa: F403
from pybpfmaps.codecs.percpu_values import *  # noqa: F403
from pybpfmaps.codecs.raw_bytes import *  # noqa: F403
from pybpfmaps.codecs.strings import *  # noqa: F403
from pybpfmaps.codecs.structs import *  # noqa: F403

MODULES = (base, ints, raw_bytes, booleans, floats, strings, addresses, enums, arrays, locks, interfaces,
           percpu_values, structs, btf_classes, aggregates)  # fmt: skip
"""Every codec module; each one's ``__all__`` names what it adds to the public API."""

__all__ = []
__all__ += base.__all__
__all__ += ints.__all__
__all__ += raw_bytes.__all__
__all__ += booleans.__all__
__all__ += floats.__all__
__all__ += strings.__all__
__all__ += addresses.__all__
__all__ += enums.__all__
__all__ += arrays.__all__
__all__ += locks.__all__
__all__ += interfaces.__all__
__all__ += percpu_values.__all__
__all__ += structs.__all__
__all__ += btf_classes.__all__
