"""The fast path of ``AggregateCodec``: generated ``unpack``/``pack`` for structs whose members are whole and apart."""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import StructMember
from pybpfmaps.codecs.floats import FloatCodec

if TYPE_CHECKING:
    from pybpfmaps.codecs.aggregates import AggregateCodec

FAST_MEMBERS = 4096
"""Structs of more members than this take the general path: generating code for them costs more than it saves."""


def compile_fast(codec: AggregateCodec) -> tuple[Callable[[Any], Any], Callable[[Any], bytes]] | None:
    """Generated ``unpack(data)`` and ``pack(obj)`` for a struct whose members are whole and apart.

    One ``struct`` call reads or writes every member; values go straight into the instance (they
    are what the members decode to, so ``__init__``'s conversions have nothing to do); the bytes no
    member covers are kept with one integer mask, as in the general path. Structs with bitfields,
    overlapping members and unions take the general path.
    """
    slots = sorted(codec.slots, key=lambda slot: slot.offset)
    if codec.union or any(slot.bits for slot in slots) or len(slots) > FAST_MEMBERS:
        return None
    formats, position = ["<"], 0
    namespace: dict[str, Any] = {"cls": codec.cls, "new": object.__new__, "set": object.__setattr__,
                                 "from_bytes": int.from_bytes, "uncovered": codec.uncovered, "size": codec.size,
                                 "residue": codec.residue}  # fmt: skip
    items, pack_args = [], []
    for index, slot in enumerate(slots):
        if slot.offset < position:
            return None  # members that overlap
        if slot.offset > position:
            formats.append(f"{slot.offset - position}x")
        member = slot.codec.struct_member("<" if sys.byteorder == "little" else ">")
        if isinstance(slot.codec, FloatCodec) or struct.calcsize("<" + member.format) != slot.codec.size:
            member = StructMember(f"{slot.codec.size}s", slot.codec.pack, slot.codec.unpack)  # exact bits
        formats.append(member.format)
        value = f"v[{index}]"
        if member.decode is not None:
            namespace[f"decode{index}"] = member.decode
            value = f"decode{index}({value})"
        items.append(f"{slot.name!r}: {value}")
        read = f"obj.{slot.name}"
        if member.encode is not None:
            namespace[f"encode{index}"] = member.encode
            read = f"encode{index}({read})"
        pack_args.append(read)
        position = slot.end
    if position < codec.size:
        formats.append(f"{codec.size - position}x")
    compiled = struct.Struct("".join(formats))
    if compiled.size != codec.size:
        return None
    namespace["struct_unpack"], namespace["struct_pack"] = compiled.unpack, compiled.pack
    source = f"""
def unpack(data):
    v = struct_unpack(data)
    obj = new(cls)
    members = {{{", ".join(items)}}}
    if uncovered:
        rest = from_bytes(data, "little") & uncovered
        if rest:
            members["__pad__"] = rest.to_bytes(size, "little")
    set(obj, "__dict__", members)
    return obj

def pack(obj):
    data = struct_pack({", ".join(pack_args)})
    pad = obj.__pad__
    if pad:
        data = (from_bytes(data, "little") | from_bytes(residue(pad), "little")).to_bytes(size, "little")
    return data
"""
    exec(compile(source, f"<pybpfmaps BTF codec {codec.name}>", "exec"), namespace)
    return namespace["unpack"], namespace["pack"]
