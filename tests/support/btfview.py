"""A value decoded by pybpfmaps, spelled as ``bpftool -j map dump`` spells it in its "formatted" output.

bpftool reads the map's BTF with libbpf and prints each member by its C name: bitfields and
128-bit integers as hex strings, ``__be16``/``__be32`` as the integer their bytes make in host
order, enums by name, ``char`` arrays as strings up to the first NUL when that much is printable
(else as a list of the chars), other arrays as lists, anonymous members under ``""``, a data
section as ``{".bss": [{"var": value}, ...]}``. Comparing the two checks pybpfmaps' types
against an independent reader, member by member.
"""

from __future__ import annotations

import enum
import sys
from typing import Any

from pybpfmaps import Codec
from pybpfmaps.btf import format as btf
from pybpfmaps.codecs.aggregates import AggregateCodec, BitfieldCodec
from pybpfmaps.codecs.arrays import ArrayCodec
from pybpfmaps.codecs.booleans import BoolCodec
from pybpfmaps.codecs.enums import IntEnumCodec
from pybpfmaps.codecs.ints import IntCodec, WideIntCodec
from pybpfmaps.codecs.locks import SpinLockCodec
from pybpfmaps.codecs.raw_bytes import RawCodec
from pybpfmaps.codecs.strings import StringCodec


def as_bpftool(value: Any, codec: Codec[Any]) -> Any:
    """*value* (decoded by *codec*) as bpftool's formatted JSON shows it."""
    if isinstance(codec, BitfieldCodec):
        return hex(value & ((1 << codec.bits) - 1))
    if isinstance(codec, WideIntCodec):
        return hex(value % (1 << 128))
    if isinstance(codec, IntEnumCodec):
        return value.name if isinstance(value, enum.IntEnum) else int(value)
    if isinstance(codec, IntCodec):
        return int.from_bytes(codec.pack(value), sys.byteorder, signed=codec.minimum < 0)
    if isinstance(codec, BoolCodec):
        return bool(value) if value in (0, 1) else value
    if isinstance(codec, SpinLockCodec):
        return {"val": value}
    if isinstance(codec, StringCodec):
        return _char_array(codec.pack(value))
    if isinstance(codec, RawCodec):
        return list(value)
    if isinstance(codec, ArrayCodec):
        return [as_bpftool(item, codec.element) for item in value]
    if isinstance(codec, AggregateCodec):
        members = {slot.c_name: as_bpftool(getattr(value, slot.name), slot.codec) for slot in codec.slots}
        if codec.origin is not None:
            types, type_id = codec.origin
            if types[type_id].kind == btf.DATASEC:
                return {types[type_id].name: [{name: item} for name, item in members.items()]}
        return members
    raise TypeError(f"no bpftool spelling for {codec!r}")


def _char_array(data: bytes) -> Any:
    """bpftool's ``is_str_array``: printable characters up to a NUL print as a string, anything else as chars."""
    for index, byte in enumerate(data):
        if byte == 0:
            return data[:index].decode("ascii")
        if byte < 0x20 or byte >= 0x7F:
            break
    return [byte - 256 if byte > 127 else byte for byte in data]  # chars are signed
