"""``raw(n)``: n bytes passed through unchanged; also what untyped parts of other programs' maps decode to."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import Buffer, Codec, StructMember, check_size
from pybpfmaps.codecs.hooks import BTF_SHAPES, HEX, btf_type, from_json, is_int
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["raw"]


class RawCodec(Codec[bytes]):
    """Exactly ``size`` bytes, passed through unchanged (``bytes``, ``bytearray`` or ``memoryview``).

    ``reason`` says why bytes that have a type (in a map's BTF, say) could not be typed, or is
    ``None``.
    """

    __slots__ = ("reason",)

    def __init__(self, size: int, *, reason: str | None = None) -> None:
        if size != 0 or type(size) is not int:  # 0: the keys of maps without keys (queues, ring buffers)
            check_size(size, "raw")
        super().__init__(size, f"raw({size})")
        self.reason = reason

    def pack(self, value: bytes | bytearray | memoryview) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            hint = "; encode it first" if isinstance(value, str) else ""
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected bytes{hint}")
        data = bytes(value)
        if len(data) != self.size:
            raise CodecError(f"{self.name} cannot encode {value!r}: {len(data)} bytes, expected {self.size}")
        return data

    def unpack(self, data: bytes) -> bytes:
        return bytes(data)

    def pack_many(self, values: Iterable[bytes | bytearray | memoryview]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        if set(map(type, items)) <= {bytes, bytearray} and set(map(len, items)) <= {self.size}:
            return b"".join(items)
        return b"".join(map(self.pack, items))

    def unpack_many(self, data: Buffer, count: int) -> list[bytes]:
        size = self.size
        if not size:
            return [b""] * count
        data = bytes(data[: count * size])
        return [data[i : i + size] for i in range(0, count * size, size)]

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(f"{self.size}s", self.pack, None)


def raw(size: int) -> RawCodec:
    """A codec of ``size`` opaque bytes (C ``__u8[size]``); keys and values come back as ``bytes``."""
    check_size(size, "raw")
    return RawCodec(size)


NO_BYTES = RawCodec(0)
"""The key of maps that have none (queues, stacks, bloom filters, ring buffers): zero bytes."""


BTF_SHAPES.byte_array = RawCodec


@btf_type.register(RawCodec)
def _(codec: RawCodec, builder: Builder) -> int:
    return builder.array(builder.int_type("__u8", 1), codec.size)


@from_json.register(RawCodec)
def _(codec: RawCodec, value: Any, role: str, *, text: bool = False) -> bytes:
    """Bytes for a map without type information: an int (host byte order), an IP address or ``hex:...``."""
    size = codec.size
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_bytes(value, size, role)
    if not isinstance(value, str):
        raise BpfArgumentError(f"bad {role} {value!r}: expected an integer, an address or hex:...")
    stripped = value.strip()
    if stripped.startswith(HEX):
        try:
            data = bytes.fromhex(stripped[len(HEX) :])
        except ValueError:
            raise BpfArgumentError(f"bad {role} {value!r}: hex: needs pairs of hex digits") from None
        if len(data) != size:
            raise BpfArgumentError(f"bad {role} {value!r}: {len(data)} bytes, but the map's {role}s are {size}")
        return data
    if is_int(stripped):
        return _int_bytes(int(stripped, 0), size, role)
    try:
        packed = ipaddress.ip_address(stripped).packed
    except ValueError:
        raise BpfArgumentError(
            f"bad {role} {value!r}: expected an integer (42, 0x2a), an IP address or hex:... bytes"
        ) from None
    if len(packed) != size:
        raise BpfArgumentError(
            f"bad {role} {value!r}: an address of {len(packed)} bytes, but the map's {role}s are {size}"
        )
    return packed


def _int_bytes(number: int, size: int, role: str) -> bytes:
    if size not in (1, 2, 4, 8):
        raise BpfArgumentError(f"bad {role} {number}: the map's {role}s are {size} bytes; give them as hex:...")
    if not -(1 << (8 * size - 1)) <= number < 1 << (8 * size):
        raise BpfArgumentError(f"bad {role} {number}: does not fit in {size} bytes")
    return (number % (1 << (8 * size))).to_bytes(size, sys.byteorder)
