"""Keys and values as the command line reads and writes them: text in, JSON-able values out.

Command-line text is read against the map's codec (docs/cli.md#values):

* text starting with ``{``, ``[`` or ``"`` is JSON: ``'""'`` is the empty string, ``'"[x]"'`` a
  string that looks like JSON, ``'[0, 0, 104, 105]'`` the bytes of a ``char`` array;
* ``hex:0a000001`` is raw bytes (for untyped keys and values, ``char`` arrays, structs);
* anything else is the value itself: an int (``42``, ``0x2a``), an IP address or network, an
  interface name, an enum member's name, a string (``''`` is the empty one).

For raw codecs (maps without type information) an int is stored in host byte order in the
codec's size and an address in network order. Output goes the other way, to values that JSON
can hold and that parse back to the same bytes: enum members by name, structs as objects keyed
by the C member names, a ``char`` array that is not text as a list of its bytes, bytes no member
covers as ``"__pad__": "hex:..."``.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import math
import sys
from typing import Any

import attrs

from pybpfmaps.btf.aggregate import C_NAME, PAD, AggregateCodec, BtfStruct, BtfUnion
from pybpfmaps.codec import FIELD_CODEC, Codec, IntCodec, RawCodec
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.layout import StructCodec
from pybpfmaps.percpu import PerCpuCodec, PerCpuValues
from pybpfmaps.scalar import ArrayCodec, ExactNan, FloatCodec, IntEnumCodec, StringCodec

HEX = "hex:"


def parse(text: str, codec: Codec[Any], role: str) -> Any:
    """The Python value for command-line text *text* under *codec*, for ``update``-style use."""
    try:
        if text[:1] in ("{", "[", '"'):
            return from_json(json.loads(text), codec, role)
    except json.JSONDecodeError as exc:
        raise BpfArgumentError(f"bad {role} {_short(text)}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise BpfArgumentError(f"bad {role} {text[:20]!r}...: JSON nested too deeply") from None
    except ValueError as exc:  # JSON holding an integer of more digits than Python converts
        raise BpfArgumentError(f"bad {role} {_short(text)}: {exc}") from None
    if text.startswith(HEX) and isinstance(codec, (StringCodec, AggregateCodec)):
        return _hex(text, role, codec.size, exact=isinstance(codec, AggregateCodec))
    return from_json(text, codec, role)


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
    if isinstance(codec, FloatCodec):
        return _float(value, codec, role)
    if isinstance(codec, StringCodec) and isinstance(value, list):
        return _byte_list(value, role)
    if isinstance(codec, IntEnumCodec) and isinstance(value, str) and not _is_int(value):
        try:
            return codec.enum[value]
        except KeyError:
            raise BpfArgumentError(f"bad {role} {value!r}: not a member of {codec.enum.__name__}") from None
    if isinstance(codec, ArrayCodec) and isinstance(value, list):
        return tuple(from_json(item, codec.element, role) for item in value)
    if isinstance(codec, AggregateCodec):
        return _aggregate(value, codec, role)
    if isinstance(codec, StructCodec) and isinstance(value, dict):
        return _struct(value, codec, role)
    if isinstance(value, str) and _is_int(value) and not isinstance(codec, StringCodec):
        return int(value, 0)  # an interface or array index given as text
    return value  # addresses, networks, interface names, MACs, strings: the codec parses them


def _aggregate(value: Any, codec: AggregateCodec, role: str) -> Any:
    if isinstance(value, str) and value.startswith(HEX):
        return _hex(value, role, codec.size, exact=True)
    if not isinstance(value, dict):
        return value  # the codec names what it takes
    members: dict[str, Any] = {}
    by_name = {slot.name: slot for slot in codec.slots} | {slot.c_name: slot for slot in codec.slots if slot.c_name}
    for key, item in value.items():
        if key == PAD and not codec.union:
            members[PAD] = _hex(item, role, codec.size, exact=True) if item else b""
            continue
        slot = by_name.get(key)
        if slot is None:
            raise BpfArgumentError(f"bad {role}: {codec.name} has no member {key!r}")
        members[slot.name] = from_json(item, slot.codec, role)
    return codec.cls(**members)


def _struct(value: dict[str, Any], codec: StructCodec[Any], role: str) -> Any:
    fields = {field.name: field for field in attrs.fields(codec.cls)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} has no field {unknown[0]!r}")
    given = {
        fields[name].alias: from_json(item, fields[name].metadata[FIELD_CODEC], role) for name, item in value.items()
    }
    missing = [name for name, f in fields.items() if f.default is attrs.NOTHING and f.init and name not in value]
    if missing:
        fields_needed = f"field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} needs {fields_needed}")
    return codec.cls(**given)


def _short(text: str) -> str:
    """*text*'s repr for a message, shortened."""
    shown = repr(text)
    return shown if len(shown) <= 60 else f"{shown[:40]}...({len(text)} characters)"


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
    except ValueError as exc:
        digits = "digits" in str(exc)  # more than Python converts (sys.set_int_max_str_digits)
        why = str(exc) if digits else "expected an integer such as 42 or 0x2a"
        raise BpfArgumentError(f"bad {role} {_short(value)}: {why}") from None


def _float(value: Any, codec: FloatCodec, role: str) -> Any:
    if isinstance(value, str) and value.startswith(HEX):
        return codec.unpack(_hex(value, role, codec.size, exact=True))
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise BpfArgumentError(f"bad {role} {value!r}: expected a number such as 1.5, inf or nan") from None
    return value


def _byte_list(value: list[Any], role: str) -> bytes:
    if not all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 255 for item in value):
        raise BpfArgumentError(f"bad {role} {value!r}: a char array's bytes are ints 0..255")
    return bytes(value)


def _hex(value: Any, role: str, size: int, *, exact: bool) -> bytes:
    """The bytes of ``hex:...`` text: exactly *size* of them, or at most *size* (a ``char`` array)."""
    if not isinstance(value, str) or not value.startswith(HEX):
        raise BpfArgumentError(f"bad {role} {value!r}: expected hex:... bytes")
    try:
        data = bytes.fromhex(value[len(HEX) :])
    except ValueError:
        raise BpfArgumentError(f"bad {role} {value!r}: hex: needs pairs of hex digits") from None
    if len(data) != size if exact else len(data) > size:
        raise BpfArgumentError(f"bad {role} {value!r}: {len(data)} bytes, but it holds {size}")
    return data


def _raw(value: Any, size: int, role: str) -> bytes:
    """Bytes of *size* for a map without type information."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_bytes(value, size, role)
    if not isinstance(value, str):
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer, an address or hex:...")
    text = value.strip()
    if text.startswith(HEX):
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
        if isinstance(codec, StringCodec):
            return list(value)  # a char array that is not text: its bytes, as bpftool shows it
        if len(value) in (1, 2, 4, 8):
            return int.from_bytes(value, sys.byteorder)
        return HEX + value.hex()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, enum.IntEnum):
        return value.name  # as bpftool shows it; from_json takes names (values outside the enum are plain ints)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        stored = value.bits if isinstance(value, ExactNan) else codec.pack(value)
        return str(value) if codec.pack(float(str(value))) == stored else HEX + stored.hex()  # a NaN's payload
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    if isinstance(value, tuple):
        element = codec.element if isinstance(codec, ArrayCodec) else codec
        return [to_json(item, element) for item in value]
    if isinstance(value, BtfUnion):
        return {
            slot.c_name or slot.name: to_json(getattr(value, slot.name), slot.codec)
            for slot in value.__pbm_codec__.slots
        }
    if attrs.has(type(value)):
        shown: dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            shown[field.metadata.get(C_NAME) or field.name] = to_json(item, field.metadata.get(FIELD_CODEC, codec))
        if isinstance(value, BtfStruct) and value.__pad__:
            shown[PAD] = HEX + value.__pad__.hex()
        return shown
    return value


def show(value: Any, codec: Codec[Any]) -> str:
    """A key or value for a human, as ``parse`` reads it back: plain text where that is unambiguous, else JSON."""
    data = to_json(value, codec)
    if isinstance(data, str) and _plain(data, codec):
        return data
    return json.dumps(data, separators=(", ", ": "))  # escapes what a terminal cannot show


def _plain(data: str, codec: Codec[Any]) -> bool:
    """Whether *data* reads back as itself without JSON quotes."""
    if not data or not data.isprintable() or data != data.strip() or data[:1] in ("{", "[", '"'):
        return False
    if isinstance(codec, StringCodec):
        return not data.startswith(HEX)
    return True
