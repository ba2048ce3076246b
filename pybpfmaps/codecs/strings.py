"""``string(n)``: a NUL-padded ``char[n]`` of UTF-8 text, which never loses a byte."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat
from typing import TYPE_CHECKING, Any

from pybpfmaps.codecs.base import Codec, StructMember, check_size
from pybpfmaps.codecs.hooks import BTF_SHAPES, HEX, btf_type, from_json, hex_bytes, to_json
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["string"]


class StringCodec(Codec[str | bytes]):
    """A NUL-padded ``char[size]``: UTF-8 text of at most ``size`` bytes.

    Decoding never loses a byte: the text before the first NUL comes back as ``str`` when every
    byte after it is NUL too; otherwise (``"\\0\\0hello"``, a reused buffer's leftovers) the
    whole array comes back as ``bytes``. Both are taken when writing (bytes up to ``size``,
    NUL-padded). Bytes that are not UTF-8 decode as lone surrogates (``errors="surrogateescape"``,
    as ``os.fsdecode`` does), so a value read from a map can always be written back unchanged.
    """

    __slots__ = ()

    def __init__(self, size: int) -> None:
        check_size(size, "string")
        super().__init__(size, f"string({size})")

    def pack(self, value: str | bytes) -> bytes:
        return self._encode(value).ljust(self.size, b"\x00")

    def unpack(self, data: bytes) -> str | bytes:
        data = bytes(data)
        text, _, rest = data.partition(b"\x00")
        if rest.count(0) != len(rest):
            return data  # not text: every byte, as it is
        return text.decode("utf-8", "surrogateescape")

    def pack_many(self, values: Iterable[str | bytes]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        try:
            encoded = [item.encode("utf-8", "surrogateescape") for item in items]  # type: ignore[union-attr]
        except (TypeError, AttributeError, UnicodeEncodeError):  # not all encodable str: let pack() name the culprit
            encoded = None
        if encoded is None or max(map(len, encoded), default=0) > self.size or b"\x00" in b"".join(encoded):
            return b"".join(map(self.pack, items))
        return b"".join(map(bytes.ljust, encoded, repeat(self.size), repeat(b"\x00")))

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(f"{self.size}s", self._encode, self.unpack)

    def _encode(self, value: object) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            if len(data) > self.size:
                raise CodecError(f"{self.name} cannot encode {data!r}: {len(data)} bytes, more than {self.size}")
            return data
        if not isinstance(value, str):
            raise CodecTypeError(
                f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a str (or bytes)"
            )
        try:
            data = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc.reason}") from None
        if len(data) > self.size or b"\x00" in data:
            problem = "contains a NUL" if b"\x00" in data else f"is {len(data)} bytes in UTF-8, more than {self.size}"
            hint = " (give bytes to store NULs)" if b"\x00" in data else ""
            raise CodecError(f"{self.name} cannot encode {value!r}: it {problem}{hint}")
        return data


def string(size: int) -> StringCodec:
    """A NUL-padded ``char[size]`` holding UTF-8 text, e.g. ``comm: str = field(string(16))``."""
    return StringCodec(size)


BTF_SHAPES.char_array = StringCodec


@btf_type.register(StringCodec)
def _(codec: StringCodec, builder: Builder) -> int:
    return builder.array(builder.int_type("char", 1, char=True), codec.size)


@from_json.register(StringCodec)
def _(codec: StringCodec, value: Any, role: str, *, text: bool = False) -> Any:
    """Text as it is (numeric text too); a JSON list of byte values, or ``hex:...`` on the command line, as bytes."""
    if isinstance(value, list):
        if not all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 255 for item in value):
            raise BpfArgumentError(f"bad {role} {value!r}: a char array's bytes are ints 0..255")
        return bytes(value)
    if text and isinstance(value, str) and value.startswith(HEX):
        return hex_bytes(value, role, codec.size, exact=False)
    return value


@to_json.register(StringCodec)
def _(codec: StringCodec, value: Any) -> Any:
    return (
        list(value) if isinstance(value, bytes) else value
    )  # a char array that is not text: its bytes, as bpftool shows it
