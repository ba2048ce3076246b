"""What ``pybpfmaps load`` reads: a JSON-lines or CSV file turned into checked, packed chunks.

The whole file is read and every entry checked against the map's codecs before anything is
written, so a bad line is reported with nothing applied. Only the packed bytes of each chunk and
the line number of each entry are kept (12 bytes of a u32 -> u64 entry, not the ~80 of two Python
ints in two lists), so memory goes with the map's data, not the file's text.

JSON lines are parsed a chunk at a time by one ``json.loads`` of the chunk's lines, each wrapped
in brackets (``[[line1],[line2],...]``): the result must hold exactly one one-element list per
line, which holds only when each line is one JSON value (no token can span lines: JSON strings
cannot hold a raw line break). Any other outcome re-reads the chunk line by line, for the error
that names the line.
"""

from __future__ import annotations

import array
import contextlib
import csv
import gc
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from pybpfmaps.cli import text
from pybpfmaps.cli.progress import Progress
from pybpfmaps.codecs.base import Codec
from pybpfmaps.errors import BpfArgumentError, BpfError

CHUNK = 65536
"""Lines parsed, checked and packed at a time."""


@attrs.frozen
class Packed:
    """One chunk of entries: each one's line number, the keys and the values packed by the map's codecs."""

    lines: array.array[int]
    keys: bytes
    values: bytes

    def __len__(self) -> int:
        return len(self.lines)


@attrs.frozen
class _Parsed:
    """A chunk as parsed, before the codecs: line numbers and the keys and values as read."""

    lines: array.array[int]
    keys: list[Any]
    values: list[Any]
    from_text: bool  # CSV fields: command-line text rather than JSON data


class _BadEntry(Exception):
    """Entry *index* of a chunk failed a codec's check with *error*."""

    def __init__(self, index: int, error: BpfError) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


def read_file(path: Path, fmt: str | None, key_codec: Codec[Any], value_codec: Codec[Any]) -> list[Packed]:
    """Every entry of the file, checked and packed, with progress on stderr for a big file.

    Whatever is wrong with the file (not UTF-8, not JSON, JSON nested too deep, an integer of more
    digits than Python converts, a CSV field over csv's limit, a key or value the codecs refuse) is
    a ``BpfArgumentError`` naming the line, raised before the caller writes anything.
    """
    total = count_lines(path)
    reading = Progress(total, f"reading {path}")
    chunks: list[Packed] = []
    for parsed in _parsed_chunks(path, fmt):
        chunks.append(_packed(path, parsed, key_codec, value_codec))
        reading.update(min(parsed.lines[-1], total))
    reading.finish()
    return chunks


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: parsed JSON holds no cycles (reference counting frees
    it), and the collector's passes over millions of fresh lists cost more than the parsing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def line_of(chunks: list[Packed], index: int) -> int:
    """The line number of entry *index* (counted over all the chunks)."""
    for chunk in chunks:
        if index < len(chunk):
            return chunk.lines[index]
        index -= len(chunk)
    raise IndexError(index)


def count_lines(path: Path) -> int:
    """The lines of a file, counted in its bytes (fast: no decoding); 0 where it cannot be read (the
    reading says why)."""
    try:
        with path.open("rb") as source:
            return sum(block.count(b"\n") for block in iter(lambda: source.read(1 << 20), b"")) or 1
    except OSError:
        return 0


def _packed(path: Path, parsed: _Parsed, key_codec: Codec[Any], value_codec: Codec[Any]) -> Packed:
    """The chunk through the codecs: JSON data or text to Python values, then packed (which checks them)."""
    try:
        keys = _converted(parsed.keys, key_codec, "key", parsed.from_text)
        values = _converted(parsed.values, value_codec, "value", parsed.from_text)
        try:  # all at once: fast where the codecs pack in bulk
            return Packed(parsed.lines, key_codec.pack_many(keys), value_codec.pack_many(values))
        except BpfError:
            _first_unpackable(keys, values, key_codec, value_codec)
            raise
    except _BadEntry as bad:
        raise BpfArgumentError(f"{path}:{parsed.lines[bad.index]}: {bad.error}; nothing was applied") from None


def _converted(items: list[Any], codec: Codec[Any], role: str, from_text: bool) -> list[Any]:
    """The Python values of *items* for *codec*; a refused one is a ``_BadEntry`` naming its index."""
    if not from_text and text.ints_pass_through(codec) and set(map(type, items)) <= {int}:
        return items  # plain integers, the common case: nothing to do per item
    convert = text.parser(codec, role, from_text=from_text)
    try:
        return list(map(convert, items))
    except BpfError:
        for index, item in enumerate(items):
            try:
                convert(item)
            except BpfError as exc:
                raise _BadEntry(index, exc) from None
        raise


def _first_unpackable(keys: list[Any], values: list[Any], key_codec: Codec[Any], value_codec: Codec[Any]) -> None:
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        try:
            key_codec.pack(key)
            value_codec.pack(value)
        except BpfError as exc:
            raise _BadEntry(index, exc) from None


def _parsed_chunks(path: Path, fmt: str | None) -> Iterator[_Parsed]:
    kind = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    where = [0]  # the last line read whole: an error comes from it (parsing) or the next (reading)
    try:
        with path.open(encoding="utf-8", newline="") as source:
            yield from _csv_chunks(path, source, where) if kind == "csv" else _jsonl_chunks(path, source, where)
    except UnicodeDecodeError as exc:
        raise BpfArgumentError(
            f"{path}:{_undecodable_line(path)}: not UTF-8 text ({exc.reason}); nothing was applied"
        ) from None
    except (csv.Error, ValueError, RecursionError) as exc:
        if isinstance(exc, BpfError):
            raise
        problem = "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BpfArgumentError(f"{path}: {problem} (at or after line {where[0]}); nothing was applied") from None


def _undecodable_line(path: Path) -> int:
    """The number of the first line that is not UTF-8 (no character's bytes span a line break)."""
    number = 0
    with path.open("rb") as source:
        for number, line in enumerate(source, 1):
            try:
                line.decode()
            except UnicodeDecodeError:
                return number
    return number  # pragma: no cover - the file changed since it failed to decode


def _csv_chunks(path: Path, source: Any, where: list[int]) -> Iterator[_Parsed]:
    reader = csv.reader(source)
    chunk = _Parsed(array.array("L"), [], [], from_text=True)
    for row in reader:
        number = where[0] = reader.line_num
        if not row or row[0].startswith("#"):
            continue
        if len(row) != 2:
            raise BpfArgumentError(f"{path}:{number}: expected 2 columns (key,value), got {len(row)}")
        if number == 1 and row == ["key", "value"]:
            continue
        chunk.lines.append(number)
        chunk.keys.append(row[0])
        chunk.values.append(row[1])
        if len(chunk.lines) == CHUNK:
            yield chunk
            chunk = _Parsed(array.array("L"), [], [], from_text=True)
    if chunk.lines:
        yield chunk


def _jsonl_chunks(path: Path, source: Any, where: list[int]) -> Iterator[_Parsed]:
    first = 1
    while lines := list(itertools.islice(source, CHUNK)):
        numbers = array.array("L", range(first, first + len(lines)))
        first += len(lines)
        if any(map(str.isspace, lines)):  # blank lines are skipped
            kept = [index for index, line in enumerate(lines) if not line.isspace()]
            lines, numbers = [lines[i] for i in kept], array.array("L", [numbers[i] for i in kept])
        if lines:
            entries = _entries_at_once(lines) or _entries_one_by_one(path, lines, numbers, where)
            yield _split(path, entries, numbers)
        where[0] = first - 1


def _entries_at_once(lines: list[str]) -> list[Any] | None:
    """The JSON value of each line, by one parse of them all; None where that is not exactly one per line."""
    try:
        wrapped = json.loads("[[" + "],[".join(lines) + "]]")
    except (ValueError, RecursionError):
        return None
    if len(wrapped) != len(lines) or set(map(type, wrapped)) != {list} or set(map(len, wrapped)) != {1}:
        return None
    return [item[0] for item in wrapped]


def _entries_one_by_one(path: Path, lines: list[str], numbers: array.array[int], where: list[int]) -> list[Any]:
    entries = []
    for line, number in zip(lines, numbers, strict=True):
        where[0] = number
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise BpfArgumentError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except RecursionError:
            raise BpfArgumentError(f"{path}:{number}: JSON nested too deeply; nothing was applied") from None
        except ValueError as exc:  # an integer of more digits than Python converts, say
            raise BpfArgumentError(f"{path}:{number}: {exc}; nothing was applied") from None
    return entries


def _split(path: Path, entries: list[Any], numbers: array.array[int]) -> _Parsed:
    """Keys and values of ``[key, value]`` or ``{"key": ..., "value": ...}`` entries."""
    if set(map(type, entries)) == {list} and set(map(len, entries)) == {2}:
        return _Parsed(numbers, [entry[0] for entry in entries], [entry[1] for entry in entries], from_text=False)
    keys, values = [], []
    for entry, number in zip(entries, numbers, strict=True):
        if isinstance(entry, dict) and entry.keys() == {"key", "value"}:
            keys.append(entry["key"])
            values.append(entry["value"])
        elif isinstance(entry, list) and len(entry) == 2:
            keys.append(entry[0])
            values.append(entry[1])
        else:
            raise BpfArgumentError(f'{path}:{number}: expected {{"key": ..., "value": ...}} or [key, value]')
    return _Parsed(numbers, keys, values, from_text=False)
