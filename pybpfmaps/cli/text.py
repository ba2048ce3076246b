"""Keys and values as the command line reads and writes them: text in, JSON-able values out.

A key or value given as text is parsed against the map's codec: ints (``42``, ``0x2a``), IP
addresses and networks, ``hex:0a000001`` for raw bytes, interface names, and JSON for structs.
For raw codecs (maps without type information) an int is stored in host byte order in the
codec's size and an address in network order. Output goes the other way, to values that JSON
can hold (enum members by name) and that parse back to the same bytes.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import sys
from typing import Any

import attrs

from pybpfmaps.codec import FIELD_CODEC, Codec, IntCodec, RawCodec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.layout import StructCodec
from pybpfmaps.percpu import PerCpuCodec, PerCpuValues
from pybpfmaps.scalar import ArrayCodec, IntEnumCodec, StringCodec


def parse(text: str, codec: Codec[Any], role: str) -> Any:
    """The Python value for command-line text *text* under *codec*, for ``update``-style use."""
    try:
        return (
            from_json(json.loads(text), codec, role) if _looks_like_json(text, codec) else from_json(text, codec, role)
        )
    except json.JSONDecodeError as exc:
        raise BpfArgumentError(f"bad {role} {text!r}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise BpfArgumentError(f"bad {role} {text[:20]!r}...: JSON nested too deeply") from None


def _looks_like_json(text: str, codec: Codec[Any]) -> bool:
    return text[:1] in "{[" or (isinstance(codec, (IntCodec, RawCodec)) and text[:1] == '"')


def from_json(value: Any, codec: Codec[Any], role: str) -> Any:
    """A value read from JSON (or plain text) turned into what *codec* packs."""
    if isinstance(codec, PerCpuCodec):
        if isinstance(value, list):
            return [from_json(item, codec.element, role) for item in value]
        return from_json(value, codec.element, role)
    if isinstance(codec, RawCodec):
        return _raw(value, codec.size, role)
    if isinstance(codec, IntCodec):
        return _int(value, role)
    if isinstance(codec, IntEnumCodec) and isinstance(value, str) and not _is_int(value):
        try:
            return codec.enum[value]
        except KeyError:
            raise BpfArgumentError(f"bad {role} {value!r}: not a member of {codec.enum.__name__}") from None
    if isinstance(codec, ArrayCodec) and isinstance(value, list):
        return tuple(from_json(item, codec.element, role) for item in value)
    if isinstance(codec, StructCodec) and isinstance(value, dict):
        fields = {field.name: field for field in attrs.fields(codec.cls)}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} has no field {unknown[0]!r}")
        given = {
            fields[name].alias: from_json(item, fields[name].metadata[FIELD_CODEC], role)
            for name, item in value.items()
        }
        missing = [name for name, f in fields.items() if f.default is attrs.NOTHING and f.init and name not in value]
        if missing:
            fields_needed = f"field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
            raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} needs {fields_needed}")
        return codec.cls(**given)
    if isinstance(value, str) and _is_int(value) and not isinstance(codec, StringCodec):
        return int(value, 0)  # an interface or array index given as text
    return value  # addresses, networks, interface names, MACs, strings: the codec parses them


def _is_int(text: str) -> bool:
    try:
        int(text, 0)
    except ValueError:
        return False
    return True


def _int(value: Any, role: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer")
    if isinstance(value, int):
        return value
    try:
        return int(value, 0)
    except ValueError:
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer such as 42 or 0x2a") from None


def _raw(value: Any, size: int, role: str) -> bytes:
    """Bytes of *size* for a map without type information."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_bytes(value, size, role)
    if not isinstance(value, str):
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer, an address or hex:...")
    text = value.strip()
    if text.startswith("hex:"):
        try:
            data = bytes.fromhex(text[4:])
        except ValueError:
            raise BpfArgumentError(f"bad {role} {value!r}: hex: needs pairs of hex digits") from None
        if len(data) != size:
            raise BpfArgumentError(f"bad {role} {value!r}: {len(data)} bytes, but the map's {role}s are {size}")
        return data
    if _is_int(text):
        return _int_bytes(int(text, 0), size, role)
    try:
        packed = ipaddress.ip_address(text).packed
    except ValueError:
        raise BpfArgumentError(
            f"bad {role} {value!r}: expected an integer (42, 0x2a), an IP address or hex:... bytes"
        ) from None
    if len(packed) != size:
        raise BpfArgumentError(
            f"bad {role} {value!r}: an address of {len(packed)} bytes, but the map's {role}s are {size}"
        )
    return packed


def _int_bytes(number: int, size: int, role: str) -> bytes:
    if size not in (1, 2, 4, 8):
        raise BpfArgumentError(f"bad {role} {number}: the map's {role}s are {size} bytes; give them as hex:...")
    if not -(1 << (8 * size - 1)) <= number < 1 << (8 * size):
        raise BpfArgumentError(f"bad {role} {number}: does not fit in {size} bytes")
    return (number % (1 << (8 * size))).to_bytes(size, sys.byteorder)


def to_json(value: Any, codec: Codec[Any]) -> Any:
    """A decoded key or value as JSON data that ``from_json`` turns back into the same bytes."""
    if isinstance(value, PerCpuValues):
        element = codec.element if isinstance(codec, PerCpuCodec) else codec
        return [to_json(item, element) for item in value]
    if isinstance(value, bytes):
        if len(value) in (1, 2, 4, 8):
            return int.from_bytes(value, sys.byteorder)
        return "hex:" + value.hex()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, enum.IntEnum):
        return value.name  # as bpftool shows it; from_json takes names (values outside the enum are plain ints)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    if isinstance(value, tuple):
        element = codec.element if isinstance(codec, ArrayCodec) else codec
        return [to_json(item, element) for item in value]
    if attrs.has(type(value)):
        return {
            field.name: to_json(getattr(value, field.name), field.metadata.get(FIELD_CODEC, codec))
            for field in attrs.fields(type(value))
        }
    return value


def show(value: Any, codec: Codec[Any]) -> str:
    """A key or value for a human: compact JSON without quotes around plain strings."""
    data = to_json(value, codec)
    if isinstance(data, str) and data.isprintable():
        return data
    return json.dumps(data, separators=(", ", ": "))  # escapes what a terminal cannot show
