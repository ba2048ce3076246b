"""BTF, the kernel's type format: generated for the maps pybpfmaps creates, read for the maps it opens.

``map_btf(key, value)`` gives the raw BTF and the key and value type ids for a new map (``None``
if a codec has no BTF form; each codec module registers its BTF type, see ``codecs.hooks``);
``decoder(btf_id)`` makes codecs from an existing map's BTF; ``Btf`` reads BTF from anywhere (the
kernel, a module, an object file, bytes) and types any of it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pybpfmaps._sys import commands
from pybpfmaps._sys.fd import Fd
from pybpfmaps.btf import format as _format
from pybpfmaps.btf.source import Btf
from pybpfmaps.btf.to_codec import Decoder
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import NoBtf, btf_type

_decoders: OrderedDict[bytes, Decoder] = OrderedDict()
DECODER_CACHE = 64
"""How many distinct BTF contents' decoders are kept (most recently used), so memory stays bounded."""


def map_btf(key: Codec[Any] | None, value: Codec[Any]) -> tuple[bytes, int, int] | None:
    """Raw BTF describing *key* and *value*, with their type ids (0 for no key: queues, stacks,
    bloom filters); ``None`` if one has no BTF form."""
    builder = _format.Builder()
    try:
        key_id = btf_type(key, builder) if key is not None else 0
        value_id = btf_type(value, builder)
    except NoBtf:
        return None
    return builder.blob(), key_id, value_id


def decoder(btf_id: int) -> Decoder:
    """The codec maker for BTF object *btf_id*.

    Cached by content, not id: maps described by the same types (every map pybpfmaps makes from
    the same codecs, say) share one decoder, hence the same classes, however many there are.
    """
    fd = Fd(commands.btf_get_fd_by_id(btf_id), f"BTF id {btf_id}")
    try:
        data = commands.btf_get_data(fd.fileno())
    finally:
        fd.close()
    if data in _decoders:
        _decoders.move_to_end(data)
        return _decoders[data]
    made = _decoders[data] = Decoder(_format.parse(data).types)
    while len(_decoders) > DECODER_CACHE:
        _decoders.popitem(last=False)
    return made


__all__ = ["Btf", "Decoder", "decoder", "map_btf"]
