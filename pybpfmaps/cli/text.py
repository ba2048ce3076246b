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

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.hooks import HEX, from_json, short, to_json
from pybpfmaps.codecs.ints import IntCodec
from pybpfmaps.errors import BpfArgumentError

__all__ = ["from_json", "ints_pass_through", "json_text", "parse", "parser", "show", "show_text", "to_json"]


def parse(text: str, codec: Codec[Any], role: str) -> Any:
    """The Python value for command-line text *text* under *codec*, for ``update``-style use."""
    try:
        if text[:1] in ("{", "[", '"'):
            return from_json(codec, json.loads(text), role)
    except json.JSONDecodeError as exc:
        raise BpfArgumentError(f"bad {role} {short(text)}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise BpfArgumentError(f"bad {role} {text[:20]!r}...: JSON nested too deeply") from None
    except ValueError as exc:  # JSON holding an integer of more digits than Python converts
        raise BpfArgumentError(f"bad {role} {short(text)}: {exc}") from None
    return from_json(codec, text, role, text=True)


def parser(codec: Codec[Any], role: str, *, from_text: bool) -> Callable[[Any], Any]:
    """``parse`` (command-line text) or ``from_json`` (JSON data) for items of *codec*, made once."""
    if from_text:
        return partial(_parse_with, codec, role)
    convert = from_json.dispatch(type(codec))
    return partial(_from_json_with, convert, codec, role)


def ints_pass_through(codec: Codec[Any]) -> bool:
    """Whether JSON integers are, unchanged, what *codec* packs (``from_json`` returns them as they are)."""
    return type(codec) is IntCodec


def _parse_with(codec: Codec[Any], role: str, item: str) -> Any:
    return parse(item, codec, role)


def _from_json_with(convert: Callable[..., Any], codec: Codec[Any], role: str, item: Any) -> Any:
    return convert(codec, item, role)


def show(value: Any, codec: Codec[Any]) -> str:
    """A key or value for a human, as ``parse`` reads it back: plain text where that is unambiguous, else JSON."""
    data = to_json(codec, value)
    if isinstance(data, str) and _plain(data, codec):
        return data
    return json.dumps(data, separators=(", ", ": "))  # escapes what a terminal cannot show


def _plain(data: str, codec: Codec[Any]) -> bool:
    """Whether *data* reads back as itself without JSON quotes."""
    if not data or not data.isprintable() or data != data.strip() or data[:1] in ("{", "[", '"'):
        return False
    if not data.startswith(HEX):
        return True
    try:  # hex: text is bytes on the command line; as a JSON string, some codecs take it literally
        return codec.pack(from_json(codec, data, "value", text=True)) == codec.pack(from_json(codec, data, "value"))
    except (ValueError, TypeError):
        return False


def show_text(codec: Codec[Any]) -> Callable[[Any], str]:
    """``show`` for values of *codec*, made once: plain integer codecs give ``str`` itself, which is
    what ``show`` gives for them, without its per-value work (a dump of a million elements)."""
    if type(codec) is IntCodec:
        return _decimal
    return partial(_show_with, codec)


def json_text(codec: Codec[Any]) -> Callable[[Any], str]:
    """``json.dumps(to_json(codec, value))`` for values of *codec*, made once (``str`` for plain ints)."""
    if type(codec) is IntCodec:
        return _decimal
    return partial(_json_with, codec)


def _decimal(value: Any) -> str:
    return str(int(value))


def _show_with(codec: Codec[Any], value: Any) -> str:
    return show(value, codec)


def _json_with(codec: Codec[Any], value: Any) -> str:
    return json.dumps(to_json(codec, value))
