"""``spin_lock``: the ``struct bpf_spin_lock`` member of a map value, 4 bytes the kernel owns."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import BTF_SHAPES, btf_type
from pybpfmaps.errors import CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["spin_lock"]


class SpinLockCodec(Codec[int]):
    """A ``struct bpf_spin_lock`` inside a map value: 4 bytes the kernel owns.

    Reads as the lock word, which the kernel zeroes on lookups (so 0), and writes the int it is
    given, 0 by default (the kernel leaves the lock word alone on updates). As a field
    (``lock: int = spin_lock()``) it is keyword-only with default 0 and takes no part in equality
    or ``repr``. A map whose value has one needs BTF, which pybpfmaps generates, and is written
    atomically with ``UpdateFlags.LOCK``.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(4, "spin_lock", 4)

    def pack(self, value: int = 0) -> bytes:
        try:
            return _LOCK_WORD.pack(value)
        except (struct.error, TypeError):
            raise CodecTypeError(f"spin_lock cannot encode {value!r}: expected 0 (the kernel owns the lock)") from None

    def unpack(self, data: Buffer) -> int:
        word: int = _LOCK_WORD.unpack(data)[0]
        return word

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("4s", self.pack, self.unpack)

    def __call__(self, *, default: Any = 0, pad_after: int = 0, **field_options: Any) -> Any:
        field_options.setdefault("kw_only", True)
        field_options.setdefault("eq", False)
        field_options.setdefault("repr", False)
        return super().__call__(default=default, pad_after=pad_after, **field_options)


_LOCK_WORD = struct.Struct("=I")


spin_lock = SpinLockCodec()
"""A ``struct bpf_spin_lock`` field of a map value: ``lock: int = spin_lock()``."""


BTF_SHAPES.structs[("bpf_spin_lock", 4)] = spin_lock


@btf_type.register(SpinLockCodec)
def _(codec: SpinLockCodec, builder: Builder) -> int:
    return builder.struct("bpf_spin_lock", 4, [("val", builder.int_type("__u32", 4), 0)])
