"""How the command line reads and writes keys and values, for each kind of codec."""

from __future__ import annotations

import enum
import ipaddress
import json
import sys
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpfmaps import (
    BpfArgumentError,
    Codec,
    array,
    be16,
    codec_for,
    field,
    i32,
    int_enum,
    ipv4,
    lpm_ipv4,
    raw,
    u8,
    u16,
    u32,
    u64,
)
from pybpfmaps.cli import text
from pybpfmaps.codecs.base import FIELD_CODEC
from pybpfmaps.codecs.percpu_values import PerCpuCodec, PerCpuValues


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


@attrs.frozen
class Point:
    x: int = u16()
    y: int = u16()
    color: Color = field(int_enum(Color, u8))
    tags: tuple[int, ...] = field(array(u8, 2))


def test_raw_codecs_take_ints_addresses_and_hex() -> None:
    four = raw(4)
    assert text.parse("42", four, "key") == (42).to_bytes(4, sys.byteorder)
    assert text.parse("0x2a", four, "key") == (42).to_bytes(4, sys.byteorder)
    assert text.parse("-1", four, "key") == b"\xff\xff\xff\xff"
    assert text.parse("10.0.0.1", four, "key") == b"\x0a\x00\x00\x01"
    assert text.parse("hex:0a000001", four, "key") == b"\x0a\x00\x00\x01"
    for bad, message in [("hex:0a", "1 bytes, but the map's keys are 4"), ("hex:zz", "pairs of hex digits"),
                         ("4294967296", "does not fit in 4 bytes"), ("::1", "an address of 16 bytes"),
                         ("ten", "expected an integer")]:  # fmt: skip
        with pytest.raises(BpfArgumentError, match=message):
            text.parse(bad, four, "key")
    with pytest.raises(BpfArgumentError, match="give them as hex"):
        text.parse("5", raw(3), "value")


def test_output_parses_back_to_the_same_bytes() -> None:
    cases: list[tuple[Codec[Any], Any]] = [
        (raw(4), b"\x01\x02\x03\x04"),
        (raw(3), b"\x01\x02\x03"),
        (u32, 7),
        (ipv4, ipaddress.IPv4Address("192.0.2.1")),
        (lpm_ipv4, ipaddress.IPv4Network("10.0.0.0/8")),
        (codec_for(Point), Point(1, 2, Color.BLUE, (3, 4))),
        (PerCpuCodec(u32, 2), PerCpuValues([5, 6])),
    ]
    for codec, value in cases:
        data = text.to_json(codec, value)
        assert codec.pack(text.from_json(codec, data, "value")) == codec.pack(value), codec


def test_structs_are_json_objects() -> None:
    codec = codec_for(Point)
    assert text.to_json(codec, Point(1, 2, Color.RED, (0, 9))) == {"x": 1, "y": 2, "color": "RED", "tags": [0, 9]}
    assert text.parse('{"x": 1, "y": 2, "color": "BLUE", "tags": [0, 9]}', codec, "value") == Point(
        1, 2, Color.BLUE, (0, 9)
    )
    with pytest.raises(BpfArgumentError, match="Point needs fields 'y', 'tags'"):
        text.parse('{"x": 1, "color": "RED"}', codec, "value")
    with pytest.raises(BpfArgumentError, match="Point has no field 'z'"):
        text.parse('{"z": 1}', codec, "value")
    with pytest.raises(BpfArgumentError, match="not a member of Color"):
        text.parse('{"x": 1, "y": 2, "color": "GREEN", "tags": [0, 0]}', codec, "value")
    with pytest.raises(BpfArgumentError, match="not valid JSON"):
        text.parse("{x: 1}", codec, "value")


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_prepared_text_functions_give_what_show_and_to_json_give(data: st.DataObject) -> None:
    codec: Codec[Any] = data.draw(st.sampled_from([u8, be16, i32, u64, ipv4().metadata[FIELD_CODEC], raw(3)]))
    raw_value = data.draw(st.binary(min_size=codec.size, max_size=codec.size))
    value = codec.unpack(raw_value)
    assert text.show_text(codec)(value) == text.show(value, codec)
    assert text.json_text(codec)(value) == json.dumps(text.to_json(codec, value))
