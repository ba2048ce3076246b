"""CO-RE: the relocations clang records in ``.BTF.ext`` for code built against types that need not be
the running kernel's (``vmlinux.h``, or ``struct task_struct___mine`` with the few fields a program
reads), resolved against the running kernel's BTF and patched into the instructions — as libbpf
does. Fields are found by name (through anonymous structs and unions), so their offsets, sizes and
existence are the kernel's; types by their name without a ``___flavour`` suffix; enum values by the
enumerator's name.

A relocation that finds nothing makes its instruction a call to a helper that does not exist
(libbpf's "poison", ``0xbad2310``): the verifier refuses the program only if that code can run,
and the loader then names the relocation (``CoreFailure``).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from pybpfmaps.asm import SIZE_CODES
from pybpfmaps.btf import format as btf
from pybpfmaps.btf.to_codec import type_size
from pybpfmaps.errors import BpfArgumentError
from pybpfmaps.objects.linker import CALL, INSN, LD_IMM64

KINDS = ("field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64",
         "field_rshift_u64", "type_id_local", "type_id_target", "type_exists", "type_size", "enumval_exists",
         "enumval_value", "type_matches")  # fmt: skip
"""``enum bpf_core_relo_kind``, by number."""
FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT, FIELD_RSHIFT = range(6)
TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, ENUMVAL_EXISTS, ENUMVAL_VALUE, TYPE_MATCHES = range(6, 13)
_EXISTENCE = frozenset({FIELD_EXISTS, TYPE_EXISTS, ENUMVAL_EXISTS, TYPE_MATCHES})
POISON = 0xBAD2310
"""The helper number a relocation that found nothing calls: the verifier says ``unknown#195896080``."""
_SIZE_BITS = 0x18
"""The bits of a load or store opcode that say its size (``asm.SIZE_CODES``)."""
Types = Mapping[int, btf.BtfType]


@attrs.frozen
class Relocation:
    """One CO-RE relocation: at instruction *index* of the linked program, *kind* of the local type
    *type_id* along *access* (``"0:2:1"``)."""

    index: int
    type_id: int
    access: str
    kind: int

    def describe(self, types: Types) -> str:
        """``field_byte_offset of struct task_struct___mine.real_parent`` — how errors name it."""
        local, _ = btf.resolve(types, self.type_id)
        name = (
            f"{btf.KIND_NAMES.get(local.kind, '?')} {local.name or '(anonymous)'}" if local else f"type {self.type_id}"
        )
        path = _path(types, self.type_id, self.access) if self.kind < TYPE_ID_LOCAL or self.kind > TYPE_MATCHES else ""
        if self.kind in (ENUMVAL_EXISTS, ENUMVAL_VALUE) and local is not None:
            index = int(self.access)
            path = f"::{local.values[index][0]}" if index < len(local.values) else ""
        return f"{KINDS[self.kind] if self.kind < len(KINDS) else self.kind} of {name}{path}"


@attrs.frozen
class _Field:
    """Where an access leads: bits from the root's start, the field's type, its bitfield size (0: none)."""

    bit_offset: int
    type_id: int
    bits: int


def apply(code: bytearray, relocations: list[Relocation], local: Types, kernel: Types) -> list[Relocation]:
    """Patch *code*; the relocations that found nothing in *kernel* (their instructions poisoned)."""
    failed = []
    for relocation in relocations:
        if relocation.kind >= len(KINDS):
            raise BpfArgumentError(f"CO-RE relocation kind {relocation.kind} is not known to pybpfmaps")
        expected = _value(relocation, local, local, relocation.type_id)
        found = _resolve(relocation, local, kernel)
        if found is None and relocation.kind not in _EXISTENCE:
            failed.append(relocation)
            _poison(code, relocation.index)
            continue
        value, target_field = found if found is not None else (0, None)
        size = None
        if target_field is not None:
            size = _load_size(relocation, local, kernel, target_field)
        _patch(code, relocation, local, expected, value, size)
    return failed


def _load_size(relocation: Relocation, local: Types, kernel: Types, target: _Field) -> int | None:
    """The size a load of the field takes in the kernel, when it differs from the program's and
    reading it at that size keeps its value (unsigned ints, pointers: zero-extended)."""
    mine = _walk(relocation, local, local, relocation.type_id)
    if mine.bits or target.bits:
        return None
    local_size, target_size = _bytes(local, mine)[1], _bytes(kernel, target)[1]
    if local_size == target_size:
        return None
    ours, theirs = btf.resolve(local, mine.type_id)[0], btf.resolve(kernel, target.type_id)[0]
    both_pointers = ours is not None and theirs is not None and ours.kind == theirs.kind == btf.PTR
    both_unsigned = all(t is not None and t.kind == btf.INT and not t.encoding & btf.INT_SIGNED for t in (ours, theirs))
    if not (both_pointers or both_unsigned) or target_size not in SIZE_CODES:
        raise BpfArgumentError(
            f"CO-RE relocation {relocation.describe(local)}: the kernel's field is {target_size} bytes, the "
            f"program's {local_size}; only unsigned integers and pointers can be read at another size"
        )
    return target_size


def _resolve(relocation: Relocation, local: Types, kernel: Types) -> tuple[int, _Field | None] | None:
    """The relocation's value in *kernel*, and the field it reaches (field offsets only); ``None``
    when no kernel type matches; an error when several match with different values."""
    if relocation.kind == TYPE_ID_LOCAL:
        return relocation.type_id, None
    values: set[tuple[int, _Field | None]] = set()
    for candidate in _candidates(relocation, local, kernel):
        try:
            field = _walk(relocation, local, kernel, candidate) if relocation.kind == FIELD_BYTE_OFFSET else None
            values.add((_value(relocation, local, kernel, candidate), field))
        except _NoMatch:
            continue
    if len(values) > 1:
        raise BpfArgumentError(f"CO-RE relocation {relocation.describe(local)}: kernel types disagree ({values})")
    return values.pop() if values else None


class _NoMatch(Exception):
    """This candidate type does not have what the relocation asks for."""


def _candidates(relocation: Relocation, local: Types, kernel: Types) -> list[int]:
    target, _ = btf.resolve(local, relocation.type_id)
    if target is None or not target.name:
        raise BpfArgumentError(f"CO-RE relocation {KINDS[relocation.kind]} of type {relocation.type_id}: "
                               "the type is anonymous or missing")  # fmt: skip
    kinds = _kind_class(target.kind)
    return [i for i in _by_name(kernel).get(essential(target.name), ()) if _kind_class(kernel[i].kind) == kinds]


def essential(name: str) -> str:
    """A type's name without its ``___flavour`` (``task_struct___mine`` → ``task_struct``)."""
    cut = name.find("___")
    return name if cut < 0 else name[:cut]


def _kind_class(kind: int) -> int:
    return btf.ENUM if kind == btf.ENUM64 else kind


_NAMES: dict[int, tuple[Types, dict[str, list[int]]]] = {}


def _by_name(types: Types) -> dict[str, list[int]]:
    """Type ids by name (structs, unions, enums, ints...), built once per BTF."""
    cached = _NAMES.get(id(types))
    if cached is not None and cached[0] is types:
        return cached[1]
    index: dict[str, list[int]] = {}
    for type_id, each in types.items():
        if (
            each.name
            and each.kind not in (btf.FUNC, btf.VAR, btf.DATASEC, btf.DECL_TAG)
            and each.kind not in btf.MODIFIERS
        ):
            index.setdefault(each.name, []).append(type_id)
    _NAMES[id(types)] = (types, index)
    return index


def _value(relocation: Relocation, local: Types, types: Types, root: int) -> int:
    """What the relocation evaluates to with *root* in *types* (the local BTF: what clang wrote)."""
    kind = relocation.kind
    if kind in (TYPE_ID_LOCAL, TYPE_ID_TARGET):
        return root
    if kind in (TYPE_EXISTS, TYPE_MATCHES):
        return 1
    if kind == TYPE_SIZE:
        size = type_size(types, root)
        if size is None:
            raise _NoMatch
        return size
    if kind in (ENUMVAL_EXISTS, ENUMVAL_VALUE):
        return _enum_value(relocation, local, types, root)
    field = _walk(relocation, local, types, root)
    if kind == FIELD_EXISTS:
        return 1
    byte_offset, byte_size = _bytes(types, field)
    bits = field.bits or byte_size * 8
    if kind == FIELD_BYTE_OFFSET:
        return byte_offset
    if kind == FIELD_BYTE_SIZE:
        return byte_size
    if kind == FIELD_SIGNED:
        target, _ = btf.resolve(types, field.type_id)
        return int(target is not None and (target.signed or bool(target.encoding & btf.INT_SIGNED)))
    if kind == FIELD_LSHIFT:
        return 64 - (field.bit_offset + bits - byte_offset * 8)
    return 64 - bits  # FIELD_RSHIFT


def _bytes(types: Types, field: _Field) -> tuple[int, int]:
    """The byte offset and size of the load that reads *field* (for a bitfield: the smallest
    aligned load that holds it, as libbpf computes it)."""
    size = type_size(types, field.type_id)
    if size is None:
        raise _NoMatch
    if not field.bits:
        return field.bit_offset // 8, size
    offset = field.bit_offset // 8 // size * size
    while field.bit_offset + field.bits - offset * 8 > size * 8:
        if size >= 8:
            raise BpfArgumentError("a CO-RE bitfield that no 8-byte load holds")
        size *= 2
        offset = field.bit_offset // 8 // size * size
    return offset, size


def _enum_value(relocation: Relocation, local: Types, types: Types, root: int) -> int:
    local_enum, _ = btf.resolve(local, relocation.type_id)
    index = int(relocation.access)
    if local_enum is None or index >= len(local_enum.values):
        raise BpfArgumentError(f"CO-RE relocation {KINDS[relocation.kind]}: no enumerator {index}")
    name = local_enum.values[index][0]
    target, _ = btf.resolve(types, root)
    for value_name, value in target.values if target is not None else ():
        if value_name == name:
            return 1 if relocation.kind == ENUMVAL_EXISTS else value
    raise _NoMatch


def _walk(relocation: Relocation, local: Types, types: Types, root: int) -> _Field:
    """Follow the local access through *types* from *root*: array indices as they are, struct and
    union members by the name the local member has (anonymous ones on the local side are skipped,
    and searched through on the other, as libbpf matches)."""
    steps = [int(part) for part in relocation.access.split(":")]
    root_size = type_size(types, root)
    if root_size is None:
        raise _NoMatch
    bit_offset = steps[0] * root_size * 8
    local_id, current, bits = relocation.type_id, root, 0
    for step in steps[1:]:
        local_type, _ = btf.resolve(local, local_id)
        target, _ = btf.resolve(types, current)
        if local_type is None or target is None:
            raise _NoMatch
        if local_type.kind == btf.ARRAY:
            if target.kind != btf.ARRAY:
                raise _NoMatch
            element = type_size(types, target.ref)
            if element is None or (target.nelems and step >= target.nelems):
                raise _NoMatch
            bit_offset += step * element * 8
            local_id, current, bits = local_type.ref, target.ref, 0
            continue
        if local_type.kind not in (btf.STRUCT, btf.UNION) or step >= len(local_type.members):
            raise BpfArgumentError(f"CO-RE access {relocation.access} does not fit its local type {local_type.name!r}")
        member = local_type.members[step]
        if types is local:
            found: tuple[int, btf.Member] | None = (member.bit_offset, member)
        elif not member.name:  # an anonymous local member: its named fields are searched for instead
            local_id = member.type
            continue
        else:
            if target.kind not in (btf.STRUCT, btf.UNION):
                raise _NoMatch
            found = _member(types, target, member.name)
        if found is None:
            raise _NoMatch
        offset, reached = found
        bit_offset += offset
        local_id, current, bits = member.type, reached.type, _bitfield(types, reached)
    return _Field(bit_offset, current, bits)


def _member(types: Types, parent: btf.BtfType, name: str) -> tuple[int, btf.Member] | None:
    """The member *name* of *parent*, looked for through anonymous members too: (bit offset, member)."""
    for member in parent.members:
        if member.name == name:
            return member.bit_offset, member
        if not member.name:
            inner, _ = btf.resolve(types, member.type)
            if inner is not None and inner.kind in (btf.STRUCT, btf.UNION):
                found = _member(types, inner, name)
                if found is not None:
                    return member.bit_offset + found[0], found[1]
    return None


def _bitfield(types: Types, member: btf.Member) -> int:
    if member.bitfield:
        return member.bitfield
    target, _ = btf.resolve(types, member.type)
    if target is not None and target.kind == btf.INT and target.bits and target.bits != target.size * 8:
        return target.bits
    return 0


def _path(types: Types, type_id: int, access: str) -> str:
    """``.real_parent.tgid``: the member names along *access* in the local types."""
    names = []
    current = type_id
    for step in [int(part) for part in access.split(":")][1:]:
        each, _ = btf.resolve(types, current)
        if each is None:
            break
        if each.kind == btf.ARRAY:
            names.append(f"[{step}]")
            current = each.ref
        elif step < len(each.members):
            member = each.members[step]
            if member.name:
                names.append(f".{member.name}")
            current = member.type
    return "".join(names)


def _patch(code: bytearray, relocation: Relocation, local: Types, expected: int, value: int, size: int | None) -> None:
    at = relocation.index * 8
    opcode, regs, offset, imm = INSN.unpack_from(code, at)
    kind = opcode & 0x07
    what = relocation.describe(local)
    if opcode == LD_IMM64:  # the value in both halves
        INSN.pack_into(code, at, opcode, regs, offset, value & 0xFFFFFFFF if value >= 0 else value)
        next_opcode, next_regs, next_offset, _ = INSN.unpack_from(code, at + 8)
        INSN.pack_into(code, at + 8, next_opcode, next_regs, next_offset, value >> 32)
    elif kind in (0x04, 0x07) and not opcode & 0x08:  # ALU/ALU64 with an immediate
        if imm != expected:
            raise BpfArgumentError(f"CO-RE relocation {what}: the instruction holds {imm}, not the local {expected}")
        INSN.pack_into(code, at, opcode, regs, offset, value)
    elif kind in (0x01, 0x02, 0x03):  # LDX, ST, STX: the offset; the size too if the field's differs
        if offset != expected:
            raise BpfArgumentError(f"CO-RE relocation {what}: the access is at {offset}, not the local {expected}")
        if not -(1 << 15) <= value < 1 << 15:
            raise BpfArgumentError(f"CO-RE relocation {what}: offset {value} does not fit an instruction")
        current = {code_bits: width for width, code_bits in SIZE_CODES.items()}[opcode & _SIZE_BITS]
        if size is not None and size != current:
            opcode = (opcode & ~_SIZE_BITS) | SIZE_CODES[size]
        INSN.pack_into(code, at, opcode, regs, value, imm)
    else:
        raise BpfArgumentError(f"CO-RE relocation {what} on an instruction it cannot patch (opcode {opcode:#x})")


def _poison(code: bytearray, index: int) -> None:
    opcode = code[index * 8]
    INSN.pack_into(code, index * 8, CALL, 0, 0, POISON)
    if opcode == LD_IMM64:
        INSN.pack_into(code, index * 8 + 8, CALL, 0, 0, POISON)
