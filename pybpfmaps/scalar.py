"""Codecs for C values that are not plain integers: bool, char[N] strings, addresses, enums and arrays."""

from __future__ import annotations

import enum
import ipaddress
import re
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, Generic, TypeVar

from pybpfmaps.codec import Buffer, Codec, IntCodec, StructMember, check_size, u32
from pybpfmaps.errors import CodecError, CodecTypeError

T = TypeVar("T")
E = TypeVar("E", bound=enum.IntEnum)
A = TypeVar("A", ipaddress.IPv4Address, ipaddress.IPv6Address)

_packed = attrgetter("packed")
# IPv4Address keeps its value in the slot _ip (CPython 3.3+); reading it is far cheaper than
# int(address) or .packed, which bulk encoding does once per address. Fall back if it ever goes.
_address_int: Callable[[Any], int] | None = (
    attrgetter("_ip") if isinstance(getattr(ipaddress.IPv4Address(0), "_ip", None), int) else None
)


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


class FloatCodec(Codec[float]):
    """C ``float`` (4 bytes) or ``double`` (8), in host byte order. Takes ``float`` or ``int``.

    Every bit pattern a map holds reads back unchanged, NaN payloads included: a NaN that Python's
    ``float`` cannot carry exactly (a signalling NaN in a ``float``) decodes as a ``float`` that
    remembers its bytes.
    """

    __slots__ = ("_struct",)

    def __init__(self, name: str, size: int) -> None:
        super().__init__(size, name, size)
        self._struct = struct.Struct("=f" if size == 4 else "=d")

    def pack(self, value: float) -> bytes:
        if type(value) is ExactNan:
            return value.bits if len(value.bits) == self.size else self._struct.pack(value)
        if isinstance(value, bool) or not isinstance(value, (float, int)):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a float")
        try:
            return self._struct.pack(value)
        except (OverflowError, struct.error) as exc:
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc}") from None

    def unpack(self, data: bytes) -> float:
        value: float = self._struct.unpack(data)[0]
        if value != value and self._struct.pack(value) != bytes(data):  # noqa: PLR0124 - NaN
            return ExactNan(value, bytes(data))
        return value

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember(self._struct.format[1:], self._check, None)

    def _check(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (float, int)):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a float")
        return value


class ExactNan(float):
    """A NaN read from a map, with the bytes it was read from (which a plain ``float`` would change)."""

    def __new__(cls, value: float, bits: bytes) -> ExactNan:
        made = super().__new__(cls, value)
        made.bits = bits
        return made

    bits: bytes

    def __repr__(self) -> str:
        return f"nan(0x{self.bits[::-1].hex()})" if sys.byteorder == "little" else f"nan(0x{self.bits.hex()})"


class AddressCodec(Codec[A], Generic[A]):
    """An IP address in network byte order, laid out like ``struct in_addr`` or ``struct in6_addr``
    (aligned to 4). Takes an address, a string such as ``"10.0.0.1"``, or the packed bytes."""

    __slots__ = ("_type",)

    def __init__(self, address_type: type[A], name: str, size: int) -> None:
        super().__init__(size, name, 4)
        self._type: type[A] = address_type

    def pack(self, value: A | str | bytes) -> bytes:
        if isinstance(value, self._type):
            return value.packed  # the constructor would go through str()
        return self._address(value).packed

    def _address(self, value: object) -> A:
        if isinstance(value, bool):  # an int to ipaddress, but never meant as one
            raise CodecTypeError(f"{self.name} cannot encode {value!r} (bool): expected an address")
        try:
            return self._type(int(value) if isinstance(value, int) else value)
        except (ValueError, TypeError) as exc:
            raise _address_error(self.name, value, exc) from None

    def unpack(self, data: bytes) -> A:
        return self._type(bytes(data))

    def pack_many(self, values: Iterable[A | str | bytes]) -> bytes:
        items = values if isinstance(values, (list, tuple)) else list(values)
        if set(map(type, items)) <= {self._type}:
            if self.size == 4 and _address_int is not None:
                return struct.pack(f">{len(items)}I", *map(_address_int, items))
            return b"".join(map(_packed, items))
        return b"".join(map(self.pack, items))

    def unpack_many(self, data: Buffer, count: int) -> list[A]:
        if self.size == 4:
            return list(map(self._type, struct.unpack_from(f">{count}I", data)))
        view = memoryview(data).cast("B")
        return [self._type(bytes(view[i : i + 16])) for i in range(0, count * 16, 16)]

    def field_converter(self) -> Callable[[Any], Any]:
        address_type, convert = self._type, self._address
        return lambda value: value if type(value) is address_type else convert(value)

    def struct_member(self, order: str = "=") -> StructMember:
        if order == ">" and self.size == 4 and _address_int is not None:
            return StructMember("I", _address_int, self._type)  # in network order, an IPv4 address is a u32
        return StructMember(f"{self.size}s", self.pack, self.unpack)


N = TypeVar("N", ipaddress.IPv4Network, ipaddress.IPv6Network)


class NetworkCodec(Codec[N], Generic[N]):
    """An LPM trie key: ``struct bpf_lpm_trie_key { __u32 prefixlen; __u8 data[]; }`` for an IP network.

    Takes an ``IPv4Network``/``IPv6Network``, a string such as ``"10.0.0.0/8"``, or an address
    (a host route, /32 or /128); bits set past the prefix are refused. The prefix length is in
    host byte order, the address in network byte order, as the kernel expects.
    """

    __slots__ = ("_type",)

    def __init__(self, network_type: type[N], name: str, address_size: int) -> None:
        super().__init__(4 + address_size, name, 4)
        self._type: type[N] = network_type

    def pack(self, value: N | str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
        network = value if isinstance(value, self._type) else self._network(value)
        return network.prefixlen.to_bytes(4, sys.byteorder) + network.network_address.packed

    def unpack(self, data: bytes) -> N:
        data = bytes(data)
        prefixlen = int.from_bytes(data[:4], sys.byteorder)
        # strict=False: another writer may have stored bits past the prefix, which the kernel ignores
        return self._type((data[4:], prefixlen), strict=False)

    def field_converter(self) -> Callable[[Any], Any]:
        return lambda value: value if isinstance(value, self._type) else self._network(value)

    def _network(self, value: object) -> N:
        if not _network_like(value) and not (
            isinstance(value, tuple) and len(value) == 2 and _network_like(value[0]) and _prefix_like(value[1])
        ):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a network")
        if isinstance(value, tuple):
            value = tuple(int(part) if isinstance(part, int) else part for part in value)
        elif isinstance(value, int):
            value = int(value)  # an IntEnum, say: ipaddress wants a plain int
        try:
            return self._type(value)
        except (ValueError, TypeError, AttributeError) as exc:  # ipaddress takes (address, prefix) tuples on trust
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc}") from None


def _network_like(value: object) -> bool:
    """An address or network as ipaddress takes it, a bool excepted (an int to Python, never meant as one)."""
    kinds = (str, bytes, int, ipaddress.IPv4Address, ipaddress.IPv6Address)
    return isinstance(value, kinds) and not isinstance(value, bool)


def _prefix_like(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


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
_MAC = re.compile(r"[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}")


class MacCodec(Codec[str]):
    """An Ethernet address (``__u8[6]``). Takes ``"aa:bb:cc:dd:ee:ff"`` (or ``-`` / no separators) or 6 bytes;
    gives the lower-case, colon-separated string."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(6, "mac")

    def pack(self, value: str | bytes) -> bytes:
        if isinstance(value, (bytes, bytearray)) and len(value) == 6:
            return bytes(value)
        if isinstance(value, str) and _MAC.fullmatch(value):
            return bytes.fromhex(value.replace(":", "").replace("-", ""))
        if not isinstance(value, (str, bytes, bytearray)):
            raise CodecTypeError(f"mac cannot encode {value!r} ({type(value).__name__}): expected a str or 6 bytes")
        raise CodecError(f"mac cannot encode {value!r}: expected 'aa:bb:cc:dd:ee:ff' or 6 bytes")

    def unpack(self, data: bytes) -> str:
        return bytes(data).hex(":")

    def field_converter(self) -> Callable[[Any], Any]:
        return lambda value: self.unpack(self.pack(value))

    def struct_member(self, order: str = "=") -> StructMember:
        return StructMember("6s", self.pack, self.unpack)


class IntEnumCodec(Codec[E], Generic[E]):
    """An ``enum.IntEnum`` stored as the integer type *base*.

    Takes members or plain ints in the range of *base*; decodes to members, and values the enum
    lacks (written by someone else) to plain ints, so that whatever is read can be written back.
    """

    __slots__ = ("_base", "enum")

    def __init__(self, enum_class: type[E], base: IntCodec) -> None:
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.IntEnum)):
            raise CodecTypeError(f"int_enum() needs an enum.IntEnum subclass, got {enum_class!r}")
        if not isinstance(base, IntCodec):
            raise CodecTypeError(f"int_enum() needs an integer codec such as u32 as base, got {base!r}")
        super().__init__(base.size, f"int_enum({enum_class.__name__}, {base.name})", base.align)
        self.enum = enum_class
        self._base = base

    def pack(self, value: E | int) -> bytes:
        return self._base.pack(self._check(value))

    def unpack(self, data: bytes) -> E:
        result: E = self._decode(self._base.unpack(data))
        return result

    def struct_member(self, order: str = "=") -> StructMember:
        fmt, encode, decode = self._base.struct_member(order)
        if encode is None and decode is None:
            return StructMember(fmt, self._check, self._decode)
        return StructMember(f"{self.size}s", self.pack, self.unpack)

    def field_converter(self) -> Callable[[Any], Any]:
        return self._decode

    def _check(self, value: object) -> int:
        if isinstance(value, int) and self._base.minimum <= value <= self._base.maximum:
            return int(value)
        members = ", ".join(member.name for member in self.enum)
        raise CodecError(
            f"{self.name} cannot encode {value!r}: expected one of {members}, "
            f"or an int in {self._base.minimum}..{self._base.maximum}"
        )

    def _decode(self, number: Any) -> Any:
        try:
            return self.enum(number)
        except ValueError:
            return number


class ArrayCodec(Codec[tuple[T, ...]], Generic[T]):
    """A fixed-length C array ``element[length]``; takes any sequence of that length, gives a tuple.

    A length of 0 is C's zero-length or flexible array member (``data[0]``, ``data[]``): no bytes,
    the value ``()``.
    """

    __slots__ = ("_many", "element", "length")

    def __init__(self, element: Codec[T], length: int) -> None:
        if not isinstance(element, Codec):
            raise CodecTypeError(f"array() needs a codec for its elements, got {element!r}")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise CodecError(f"array() needs an int length >= 0, got {length!r}")
        super().__init__(element.size * length, f"array({element.name}, {length})", element.align)
        self.element = element
        self.length = length
        native = isinstance(element, IntCodec) and not element.big_endian
        self._many = struct.Struct(f"={length}{element.struct_member().format}") if native else None

    def pack(self, value: Sequence[Any]) -> bytes:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise CodecTypeError(f"{self.name} cannot encode {value!r} ({type(value).__name__}): expected a sequence")
        if len(value) != self.length:
            raise CodecError(f"{self.name} cannot encode {value!r}: {len(value)} elements, expected {self.length}")
        if self._many is not None:
            try:
                return self._many.pack(*value)
            except (struct.error, TypeError):
                pass  # let the element codec name the bad element
        try:
            return b"".join(map(self.element.pack, value))
        except CodecError as exc:
            raise type(exc)(f"{self.name}: {exc}") from None

    def unpack(self, data: bytes) -> tuple[T, ...]:
        if self._many is not None:
            return self._many.unpack(data)
        if not self.element.size:  # elements of no bytes (empty structs)
            return tuple(self.element.unpack(b"") for _ in range(self.length))
        return tuple(self.element.unpack_many(data, self.length))


def _address_error(name: str, value: object, exc: Exception) -> CodecError:
    if isinstance(value, (str, bytes, int, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return CodecError(f"{name} cannot encode {value!r}: {exc}")
    return CodecTypeError(f"{name} cannot encode {value!r} ({type(value).__name__}): expected an address or a str")


boolean = BoolCodec()
"""C ``bool``: ``True``/``False`` in one byte."""
ipv4 = AddressCodec(ipaddress.IPv4Address, "ipv4", 4)
"""An IPv4 address (``struct in_addr``); gives ``ipaddress.IPv4Address``."""
ipv6 = AddressCodec(ipaddress.IPv6Address, "ipv6", 16)
"""An IPv6 address (``struct in6_addr``); gives ``ipaddress.IPv6Address``."""
mac = MacCodec()
"""An Ethernet address (``__u8[6]``); gives ``"aa:bb:cc:dd:ee:ff"``."""


f32 = FloatCodec("f32", 4)
"""C ``float``."""
f64 = FloatCodec("f64", 8)
"""C ``double``."""

spin_lock = SpinLockCodec()
"""A ``struct bpf_spin_lock`` field of a map value: ``lock: int = spin_lock()``."""
lpm_ipv4 = NetworkCodec(ipaddress.IPv4Network, "lpm_ipv4", 4)
"""An IPv4 LPM trie key (8 bytes); gives ``ipaddress.IPv4Network``."""
lpm_ipv6 = NetworkCodec(ipaddress.IPv6Network, "lpm_ipv6", 16)
"""An IPv6 LPM trie key (20 bytes); gives ``ipaddress.IPv6Network``."""


def string(size: int) -> StringCodec:
    """A NUL-padded ``char[size]`` holding UTF-8 text, e.g. ``comm: str = field(string(16))``."""
    return StringCodec(size)


def int_enum(enum_class: type[E], base: IntCodec = u32) -> IntEnumCodec[E]:
    """An ``enum.IntEnum`` stored as *base* (``u32`` unless given)."""
    return IntEnumCodec(enum_class, base)


def array(element: Codec[T], length: int) -> ArrayCodec[T]:
    """A fixed-length C array of *length* elements of *element*, as a tuple."""
    return ArrayCodec(element, length)
