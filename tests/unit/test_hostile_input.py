"""Hostile input: whatever a caller or a command line passes, only documented errors come out.

Codecs take arbitrary Python values (nested, wrong types, huge ints, NULs, bad addresses) and
either refuse them with a ``BpfArgumentError`` (``CodecError``/``CodecTypeError``) or encode
bytes that decode back to the same value: never another exception, never a silent change.
Decoding takes arbitrary bytes of the right size without failing. The command line's parsers
take arbitrary text the same way.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpfmaps import (
    BpfArgumentError,
    Codec,
    array,
    be16,
    be32,
    be64,
    boolean,
    codec_for,
    field,
    i8,
    i16,
    i32,
    i64,
    int_enum,
    ipv4,
    ipv6,
    lpm_ipv4,
    lpm_ipv6,
    mac,
    raw,
    spin_lock,
    string,
    u8,
    u16,
    u32,
    u64,
)
from pybpfmaps.cli import text
from pybpfmaps.codecs.ints import IntCodec
from tests.support.layouts import Flow


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


@attrs.frozen
class Nested:
    flow: Flow = field(Flow)
    name: str = field(string(6))
    ports: tuple[int, ...] = field(array(be16, 2))
    color: Color = field(int_enum(Color, u8))


CODECS: list[Codec[Any]] = [
    u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, be64, raw(4), boolean, string(8), ipv4, ipv6, mac,
    int_enum(Color, u8), array(u16, 3), lpm_ipv4, lpm_ipv6, spin_lock, codec_for(Flow), codec_for(Nested),
]  # fmt: skip
SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))

anything = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(1 << 70), max_value=1 << 70), st.floats(),
        st.text(), st.binary(), st.ip_addresses(), st.sampled_from(list(Color)),
        st.sampled_from(["10.0.0.1", "10.0.0.0/8", "::1", "aa:bb:cc:dd:ee:ff", "0x10", "-1", "\0", "é" * 5]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.tuples(children, children),
        st.dictionaries(st.sampled_from(["saddr", "dport", "flow", "name", "x", ""]), children, max_size=5),
    ),
    max_leaves=12,
)  # fmt: skip


@SETTINGS
@given(st.sampled_from(CODECS), anything)
def test_codecs_refuse_or_round_trip_any_value(codec: Codec[Any], value: Any) -> None:
    try:
        packed = codec.pack(value)
    except BpfArgumentError:
        return
    assert len(packed) == codec.size
    decoded = codec.unpack(packed)
    assert codec.pack(decoded) == packed
    if isinstance(codec, IntCodec):
        assert decoded == value  # no silent truncation, wrapping or rounding
    elif codec.name.startswith("string") and isinstance(value, (bytes, bytearray, memoryview)):
        assert packed == bytes(value).ljust(codec.size, b"\0")  # bytes are stored as given, NUL-padded
    elif codec.name.startswith(("string", "raw")):
        assert decoded == value or bytes(value) == decoded
    elif codec in (ipv4, ipv6):
        assert decoded == type(decoded)(value.packed if hasattr(value, "packed") else value)


@SETTINGS
@given(st.sampled_from(CODECS), st.data())
def test_any_bytes_decode(codec: Codec[Any], data: st.DataObject) -> None:
    if codec in (lpm_ipv4, lpm_ipv6):  # the kernel refuses prefix lengths past the address: valid ones only
        width = codec.size - 4
        prefix = data.draw(st.integers(0, 8 * width)).to_bytes(4, "little")
        raw_bytes = prefix + data.draw(st.binary(min_size=width, max_size=width))
    else:
        raw_bytes = data.draw(st.binary(min_size=codec.size, max_size=codec.size))
    decoded = codec.unpack(raw_bytes)
    canonical = codec.pack(decoded)  # what writing it back stores: stable from then on
    assert codec.pack(codec.unpack(canonical)) == canonical
    shown = text.to_json(codec, decoded)
    json.dumps(shown)  # the command line can print it
    assert codec.pack(text.from_json(codec, json.loads(json.dumps(shown)), "value")) == canonical


command_line_text = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A(hex:[0-9a-fA-F]{0,12}|0x[0-9a-f]{1,20}|-?\d{1,25}|[\[{][^\n]{0,30})\Z"),
    anything.map(lambda value: json.dumps(value, default=str)),
)


@SETTINGS
@given(st.sampled_from(CODECS), command_line_text)
def test_the_command_line_parser_refuses_or_encodes(codec: Codec[Any], typed: str) -> None:
    try:
        value = text.parse(typed, codec, "key")
        codec.pack(value)
    except BpfArgumentError:
        pass


def test_json_deeper_than_python_recurses_is_refused() -> None:
    for codec in (codec_for(Nested), array(u16, 3), u32):
        with pytest.raises(BpfArgumentError, match="nested too deeply"):
            text.parse("[" * 100_000 + "]" * 100_000, codec, "value")
