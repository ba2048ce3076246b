"""The ``.BTF.ext`` section of an object: function and line info by program section, as
``BPF_PROG_LOAD`` takes them (``bpf_func_info``, ``bpf_line_info``), so that the kernel knows each
function's type and the verifier's messages quote the C lines they are about."""

from __future__ import annotations

import struct
from collections.abc import Mapping

import attrs

from pybpfmaps.btf import format as btf
from pybpfmaps.errors import BpfArgumentError

MAGIC = 0xEB9F
_HEADER = struct.Struct("=HBBIIIII")
FUNC_INFO = struct.Struct("=II")  # insn_off, type_id
LINE_INFO = struct.Struct("=IIII")  # insn_off, file_name_off, line_off, line_col
CORE_RELO = struct.Struct("=IIII")  # insn_off, type_id, access_str_off, kind
_CORE_HEADER = struct.Struct("=II")  # core_relo_off, core_relo_len: in headers of 32 bytes and more


@attrs.frozen
class ExtInfo:
    """Function and line info records by section name: ``(byte offset in the section, the rest...)``."""

    funcs: Mapping[str, tuple[tuple[int, int], ...]]
    lines: Mapping[str, tuple[tuple[int, int, int, int], ...]]
    core: Mapping[str, tuple[tuple[int, int, str, int], ...]] = {}
    """CO-RE relocations by section: (byte offset, local type id, access string, kind)."""


def parse(data: bytes, strings: bytes) -> ExtInfo:
    """Parse a ``.BTF.ext`` blob; *strings* is the string section of the object's ``.BTF``."""
    if len(data) < _HEADER.size:
        raise BpfArgumentError(".BTF.ext is too short for its header")
    magic, _version, _flags, header_len, func_off, func_len, line_off, line_len = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BpfArgumentError(f".BTF.ext has magic {magic:#x}, not {MAGIC:#x}")
    funcs = _records(data, header_len + func_off, func_len, strings, FUNC_INFO)
    lines = _records(data, header_len + line_off, line_len, strings, LINE_INFO)
    core: dict[str, tuple[tuple[int, int, str, int], ...]] = {}
    if header_len >= _HEADER.size + _CORE_HEADER.size:
        core_off, core_len = _CORE_HEADER.unpack_from(data, _HEADER.size)
        for section, records in _records(data, header_len + core_off, core_len, strings, CORE_RELO).items():
            core[section] = tuple(
                (off, type_id, btf.c_string(strings, access), kind) for off, type_id, access, kind in records
            )
    return ExtInfo(funcs, lines, core)  # type: ignore[arg-type]


def _records(
    data: bytes, start: int, length: int, strings: bytes, record: struct.Struct
) -> dict[str, tuple[tuple[int, ...], ...]]:
    found: dict[str, tuple[tuple[int, ...], ...]] = {}
    if not length:
        return found
    end = start + length
    (size,) = struct.unpack_from("=I", data, start)
    if size < record.size:
        raise BpfArgumentError(f".BTF.ext records of {size} bytes are shorter than {record.size}")
    position = start + 4
    while position < end:
        name_off, count = struct.unpack_from("=II", data, position)
        position += 8
        name = btf.c_string(strings, name_off)
        found[name] = tuple(record.unpack_from(data, position + i * size) for i in range(count))
        position += count * size
    return found


def for_program(info: ExtInfo, section: str, start: int, end: int, shift: int = 0) -> tuple[bytes, bytes]:
    """The func and line info of the code from byte *start* to *end* of *section*, with instruction
    offsets counted from *start* plus *shift* instructions: ``(func_info, line_info)`` records."""

    def at(offset: int) -> int:
        return (offset - start) // 8 + shift

    funcs = b"".join(
        FUNC_INFO.pack(at(off), type_id) for off, type_id in info.funcs.get(section, ()) if start <= off < end
    )
    lines = b"".join(
        LINE_INFO.pack(at(rec[0]), *rec[1:]) for rec in info.lines.get(section, ()) if start <= rec[0] < end
    )
    return funcs, lines
