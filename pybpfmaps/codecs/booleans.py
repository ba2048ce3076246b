"""``boolean``: C ``bool``/``_Bool`` in one byte."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pybpfmaps.codecs.base import Codec, StructMember
from pybpfmaps.codecs.hooks import BTF_SHAPES, btf_type
from pybpfmaps.errors import CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["boolean"]


class BoolCodec(Codec[bool | int]):
    """C ``bool``/``_Bool``: one byte. Takes ``bool``, or an int 0..255; gives ``False``/``True`` for 0 and 1.

    C code may store another byte in a ``_Bool`` (a cast, a ``memcpy``): that byte decodes as a
    plain ``int``, so that what is read is written back unchanged, as ``int_enum`` does with
    values its enum lacks.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(1, "boolean")

    def pack(self, value: bool | int) -> bytes:
        return bytes((self._check(value),))

    def pack_many(self, values: Iterable[bool | int]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        if set(map(type, items)) <= {bool}:
            return bytes(items)
        return b"".join(map(self.pack, items))

    def unpack(self, data: bytes) -> bool | int:
        byte = data[0]
        return _BOOLS[byte] if byte < 2 else byte

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("B", self._check, self._decode)

    @staticmethod
    def _decode(byte: int) -> bool | int:
        return _BOOLS[byte] if byte < 2 else byte

    def _check(self, value: object) -> int:
        if isinstance(value, int) and 0 <= value <= 255:
            return int(value)
        raise CodecTypeError(
            f"boolean cannot encode {value!r} ({type(value).__name__}): expected True or False (or a byte, 0..255)"
        )


_BOOLS = (False, True)


boolean = BoolCodec()
"""C ``bool``: ``True``/``False`` in one byte."""


BTF_SHAPES.boolean = boolean


@btf_type.register(BoolCodec)
def _(codec: BoolCodec, builder: Builder) -> int:
    return builder.int_type("_Bool", 1, boolean=True)
