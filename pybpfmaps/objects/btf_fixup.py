"""An object's BTF as the kernel takes it, patched in place as libbpf patches it: clang leaves the
sizes of data sections (``DATASEC``) and the offsets of their variables at 0, to be read from the
ELF; ``__kconfig`` externs become variables of the ``.kconfig`` map."""

from __future__ import annotations

import struct
from collections.abc import Mapping

from pybpfmaps.btf import format as btf

_TYPE = struct.Struct("=III")
_SECINFO = struct.Struct("=III")
_LINKAGE = struct.Struct("=I")
VAR_STATIC, VAR_GLOBAL_ALLOCATED, VAR_GLOBAL_EXTERN = 0, 1, 2
_EXTRA = {btf.INT: 4, btf.ARRAY: 12, btf.VAR: 4, btf.DECL_TAG: 4}
_PER_MEMBER = {btf.STRUCT: 12, btf.UNION: 12, btf.ENUM: 8, btf.FUNC_PROTO: 8, btf.DATASEC: 12, btf.ENUM64: 12}


def fixed(
    raw: bytes,
    section_sizes: Mapping[str, int],
    offsets: Mapping[str, Mapping[str, int]],
) -> bytes:
    """*raw* with each DATASEC's size from *section_sizes* and its variables' offsets from *offsets*
    (section → variable name → offset), and extern variables made global ones."""
    data = bytearray(raw)
    _magic, _version, _flags, header_len, type_off, type_len, str_off, _str_len = btf.HEADER.unpack_from(data)
    strings_at = header_len + str_off
    position, end = header_len + type_off, header_len + type_off + type_len
    var_names: dict[int, str] = {}
    type_id = 0
    patches: list[tuple[int, str, int]] = []  # (position of a DATASEC, its name, vlen)
    while position < end:
        type_id += 1
        name_off, info, _size = _TYPE.unpack_from(data, position)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        name = btf.c_string(data, strings_at + name_off)
        body = position + _TYPE.size
        if kind == btf.VAR:
            var_names[type_id] = name
            (linkage,) = _LINKAGE.unpack_from(data, body)
            if linkage == VAR_GLOBAL_EXTERN:
                _LINKAGE.pack_into(data, body, VAR_GLOBAL_ALLOCATED)
        if kind == btf.DATASEC:
            patches.append((position, name, vlen))
        position = body + _EXTRA.get(kind, 0) + _PER_MEMBER.get(kind, 0) * vlen
    for at, name, vlen in patches:
        if name in section_sizes:
            struct.pack_into("=I", data, at + 8, section_sizes[name])
        for index in range(vlen):
            entry = at + _TYPE.size + index * _SECINFO.size
            var_type, offset, size = _SECINFO.unpack_from(data, entry)
            offset = offsets.get(name, {}).get(var_names.get(var_type, ""), offset)
            _SECINFO.pack_into(data, entry, var_type, offset, size)
    return bytes(data)
