"""``pybpfmaps load``'s reading of files: chunks parsed at once agree with line-by-line parsing,
every refusal names its line, and what is kept is the packed bytes."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpfmaps import field, string, u16, u32, u64
from pybpfmaps.cli import loading
from pybpfmaps.codecs.structs import codec_for
from pybpfmaps.errors import BpfArgumentError

TOKENS = ["[", "]", "{", "}", ",", ":", "1", "-2.5", '"a"', '"]"', '"],["', "true", "null", " ", "\\", '"']


@attrs.frozen
class Entry:
    count: int = field(u16)
    name: str = field(string(6))


def one_by_one(lines: list[str]) -> list[object] | None:
    """What parsing each line alone gives; None if any line is not exactly one JSON value."""
    try:
        return [json.loads(line) for line in lines]
    except ValueError:
        return None


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6).map("".join), min_size=1, max_size=5))
def test_a_chunk_parsed_at_once_is_what_each_line_parses_to(fragments: list[str]) -> None:
    lines = [fragment + "\n" for fragment in fragments if not fragment.isspace()]
    if not lines:
        return
    at_once = loading._entries_at_once(lines)
    expected = one_by_one(lines)
    assert at_once is None or at_once == expected  # never a different reading of the lines
    if expected is not None:
        assert at_once == expected  # and the fast path is taken whenever every line is one value


def test_lines_that_only_parse_joined_are_read_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "merged.jsonl"
    path.write_text("[[1, 2]\n[3, 4]]\n[5, 6], [7, 8]\n")  # three lines, three values if joined
    with pytest.raises(BpfArgumentError, match=rf"^{path}:1: not JSON \("):
        loading.read_file(path, None, u32, u64)


def test_entries_are_packed_with_their_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "CHUNK", 3)
    path = tmp_path / "entries.jsonl"
    path.write_text('[1, 10]\n\n  \n{"key": 2, "value": "0x14"}\n[3, 30]\n[4, 40]\n[5, 50]')  # no final newline
    chunks = loading.read_file(path, None, u32, u64)
    assert [list(chunk.lines) for chunk in chunks] == [[1], [4, 5, 6], [7]]
    assert b"".join(chunk.keys for chunk in chunks) == struct.pack("=5I", 1, 2, 3, 4, 5)
    assert b"".join(chunk.values for chunk in chunks) == struct.pack("=5Q", 10, 20, 30, 40, 50)
    assert [loading.line_of(chunks, index) for index in range(5)] == [1, 4, 5, 6, 7]


def test_structs_and_csv_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "CHUNK", 2)
    path = tmp_path / "entries.jsonl"
    path.write_text('[1, {"count": 5, "name": "five"}]\n[2, {"count": 6, "name": "six"}]\n[3, [7, "abc"]]\n')
    entry = codec_for(Entry)
    chunks = loading.read_file(path, None, u32, entry)
    values = entry.unpack_many(b"".join(chunk.values for chunk in chunks), 3)
    assert values == [Entry(5, "five"), Entry(6, "six"), Entry(7, "abc")]
    csv = tmp_path / "entries.csv"
    csv.write_text("key,value\n# a comment\n0x10,7\n17,0x8\n")
    chunks = loading.read_file(csv, None, u32, u64)
    assert [list(chunk.lines) for chunk in chunks] == [[3, 4]]
    assert chunks[0].values == struct.pack("=2Q", 7, 8)


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("[1, 1]\n[2, true]\n", 2, "bad value True: expected an integer"),
        ("[1, 1]\n[4294967296, 1]\n", 2, "4294967296"),
        ("[1, 1]\n[2, 2, 2]\n", 2, 'expected {"key": ..., "value": ...} or [key, value]'),
        ('[1, 1]\n{"key": 2}\n', 2, 'expected {"key": ..., "value": ...} or [key, value]'),
        ("[1, 1]\n\n[2, 2\n", 3, "not JSON"),
        ("[1, 1]\n" + "[" * 100_000 + "\n", 2, "nested too deeply"),
    ],
)
def test_a_refused_entry_names_its_line(tmp_path: Path, content: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(BpfArgumentError) as refused:
        loading.read_file(path, None, u32, u64)
    assert str(refused.value).startswith(f"{path}:{line}: ")
    assert problem in str(refused.value)


def test_bytes_that_are_not_utf8_are_named_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "CHUNK", 2)
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'[1, 1]\n[2, 2]\n[3, 3]\n[4, "caf\xe9"]\n')
    with pytest.raises(BpfArgumentError, match=rf"^{path}:4: not UTF-8 text \(invalid continuation byte\)"):
        loading.read_file(path, None, u32, u64)
