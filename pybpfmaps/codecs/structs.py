"""C struct layouts from attrs classes: ``StructCodec``, the ``field`` helper and ``codec_for``.

A layout is an attrs class whose fields carry codecs (``port: int = be16()``). ``StructCodec``
lays the fields out as a C compiler does: each at the next multiple of its alignment, the
struct's size rounded up to its largest alignment, and every padding byte written as zero (the
kernel hashes keys byte for byte, padding included). ``packed=True`` gives the layout of
``__attribute__((packed))``. Each layout is compiled once into one ``struct.Struct`` and two
generated functions. Explicit padding is a field option: ``kind: int = u8(pad_after=3)``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from itertools import starmap
from operator import attrgetter
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, overload

import attrs

from pybpfmaps.codecs.base import FIELD_CODEC, FIELD_PAD_AFTER, Buffer, Codec, StructMember
from pybpfmaps.codecs.hooks import btf_type, from_json, holds_spin_lock
from pybpfmaps.codecs.locks import SpinLockCodec
from pybpfmaps.errors import BpfArgumentError, CodecError, CodecTypeError

if TYPE_CHECKING:
    from pybpfmaps.btf.format import Builder

__all__ = ["FieldLayout", "StructCodec", "codec_for", "field"]

T = TypeVar("T")


class FieldLayout(NamedTuple):
    """Where one field sits in a struct: its name, byte offset, size and codec."""

    name: str
    offset: int
    size: int
    codec: Codec[Any]


class StructCodec(Codec[T]):
    """The codec of an attrs class laid out as a C struct.

    ``pack`` takes an instance of the class, a tuple of its field values in order, or a dict of
    them; ``unpack`` returns an instance built through the class's ``__init__``.

    Attributes:
        cls: The attrs class.
        fields: The ``FieldLayout`` of every field, in order.
        packed: Whether the layout is ``__attribute__((packed))``.
    """

    __slots__ = (
        "_columnar",
        "_columnar_unpack",
        "_pack",
        "_pack_rows",
        "_positional",
        "_struct",
        "_unpack_tuple",
        "cls",
        "fields",
        "packed",
    )

    def __init__(self, cls: type[T], *, packed: bool = False) -> None:
        if not (isinstance(cls, type) and attrs.has(cls)):
            raise CodecTypeError(f"StructCodec needs an attrs class, got {cls!r}")
        self.cls = cls
        self.packed = packed
        # Rows in host order, or in network order when that needs fewer conversions (a flow key of
        # addresses and ports is all big-endian). Padding and layout are the same either way.
        layout, members, size, align = _lay_out(cls, packed, "=")
        network = _lay_out(cls, packed, ">")[1]
        order = ">" if _conversions(network) < _conversions(members) else "="
        members = network if order == ">" else members
        super().__init__(size, f"{cls.__name__}(packed)" if packed else cls.__name__, align)
        self.fields = layout
        self._struct = struct.Struct(order + "".join(member.format for _, member in members))
        assert self._struct.size == size
        self._pack, self._pack_rows, self._unpack_tuple = _compile(
            cls, members, self._struct, self._diagnose, self._coerce
        )
        # Bulk encoding goes column by column when some field converts its values in Python (strings,
        # MACs, nested structs...): its codec then converts a whole column at once. Otherwise one
        # struct call per row is faster. Decoding goes by column whenever a field converts.
        self._columnar = any(isinstance(member.encode, (FunctionType, MethodType)) for _, member in members)
        self._columnar_unpack = any(member.decode is not None for _, member in members)
        # every field is a positional __init__ argument, in order: decoded rows or columns go to cls(*...)
        self._positional = all(field.init and not field.kw_only for field in attrs.fields(cls))

    @property
    def hashable(self) -> bool:
        """Whether decoded instances can be dict keys (``@attrs.frozen`` classes are)."""
        return getattr(self.cls, "__hash__", None) is not None

    def pack(self, value: T | tuple[Any, ...] | dict[str, Any]) -> bytes:
        result: bytes = self._pack(value)
        return result

    def unpack(self, data: bytes) -> T:
        result: T = self._unpack_tuple(self._struct.unpack(data))
        return result

    def pack_many(self, values: Iterable[T]) -> bytes:
        """Encode many values into one buffer (padding zero).

        Layouts with converting fields go column by column: each field's codec packs all its
        values at once, and strided copies interleave the columns into rows.
        """
        items = values if isinstance(values, (list, tuple)) else list(values)
        if not items:
            return b""
        if set(map(type, items)) != {self.cls}:
            items = [self._coerce(item) for item in items]
        count, size = len(items), self.size
        if not self._columnar:
            rows = bytearray(count * size)
            try:
                self._pack_rows(items, rows)  # one generated loop: no frame or bytes object per element
            except (struct.error, CodecError, TypeError, ValueError, OverflowError, AttributeError):
                return b"".join(map(self._pack, items))  # one at a time: the error names class, field and value
            return bytes(rows)
        rows = bytearray(count * size)
        try:
            for name, offset, width, codec in self.fields:
                _scatter(rows, codec.pack_many(list(map(attrgetter(name), items))), offset, width, size)
        except (struct.error, CodecError, TypeError, ValueError, OverflowError, AttributeError):
            return b"".join(map(self._pack, items))  # one at a time: the error names class, field and value
        return bytes(rows)

    def unpack_many(self, data: Buffer, count: int) -> list[T]:
        """Decode many values; column by column where that pays (as ``pack_many``), then build
        the instances. Layouts with keyword-only fields are decoded row by row."""
        view = memoryview(data).cast("B")[: count * self.size]
        if not count:
            return []
        if not self._columnar_unpack and self._positional:
            build: Any = self.cls
            return list(starmap(build, self._struct.iter_unpack(view)))
        if not self._positional:
            return list(map(self._unpack_tuple, self._struct.iter_unpack(view)))
        columns = [
            codec.unpack_many(gather(view, offset, width, self.size, count), count)
            for _, offset, width, codec in self.fields
        ]
        return list(map(self.cls, *columns))  # type: ignore[arg-type]

    def unpack_column(self, data: Buffer, count: int) -> dict[str, Any]:
        """One column per field, by field name: each field's own ``unpack_column`` (arrays for
        numbers, dicts for nested structs), no instance built."""
        view = memoryview(data).cast("B")[: count * self.size]
        return {
            name: codec.unpack_column(gather(view, offset, width, self.size, count), count)
            for name, offset, width, codec in self.fields
        }

    def _coerce(self, value: object) -> Any:
        cls: Any = self.cls
        if isinstance(value, cls):
            return value
        try:
            if isinstance(value, (tuple, list)):
                return cls(*value)
            if isinstance(value, dict):
                return cls(**value)
        except CodecError as exc:  # a field helper's converter refused its value
            raise type(exc)(f"{self.name}: {exc}") from None
        except TypeError as exc:
            raise CodecTypeError(f"{self.name} cannot be built from {value!r}: {exc}") from None
        except ValueError as exc:  # a converter or validator of the class
            raise CodecError(f"{self.name} cannot be built from {value!r}: {exc}") from None
        count = sum(1 for field in attrs.fields(cls) if field.init)
        raise CodecTypeError(
            f"{self.name} cannot encode {value!r} ({type(value).__name__}): "
            f"expected a {cls.__name__}, a tuple of its {count} field values, or a dict"
        )

    def _diagnose(self, value: object) -> CodecError:
        """The error naming the first field whose value its codec refuses."""
        for name, _, _, codec in self.fields:
            field_value = getattr(value, name)
            try:
                codec.pack(field_value)
            except CodecError as exc:
                return type(exc)(f"{self.name}.{name}: {exc}")
        return CodecError(f"{self.name} cannot encode {value!r}")


def _conversions(members: list[tuple[str, StructMember]]) -> int:
    return sum(1 for _, member in members if member.encode is not None or member.decode is not None)


_WORDS: dict[int, Literal["B", "H", "I", "Q"]] = {1: "B", 2: "H", 4: "I", 8: "Q"}
"""``memoryview`` formats by width: a column of aligned words is copied by one strided slice."""


def _scatter(rows: bytearray, column: bytes, offset: int, width: int, size: int) -> None:
    """Copy a packed column (``width`` bytes per row) into every row at *offset*."""
    if width == size:
        rows[:] = column
        return
    word = _WORDS.get(width)
    if word is not None and not offset % width and not size % width:
        memoryview(rows).cast(word)[offset // width :: size // width] = memoryview(column).cast(word)
        return
    for byte in range(width):
        rows[offset + byte :: size] = column[byte::width]


def gather(view: memoryview, offset: int, width: int, size: int, count: int) -> bytes:
    """The packed column of one field (``width`` bytes at *offset* of each of *count* rows of *size*)."""
    view = view[: count * size]
    if width == size:
        return bytes(view)
    word = _WORDS.get(width)
    if word is not None and not offset % width and not size % width:
        column: bytes = view.cast(word)[offset // width :: size // width].tobytes()
        return column
    gathered = bytearray(count * width)
    for byte in range(width):
        gathered[byte::width] = view[offset + byte :: size]
    return bytes(gathered)


def _lay_out(cls: type, packed: bool, order: str) -> tuple[list[FieldLayout], list[tuple[str, StructMember]], int, int]:
    layout: list[FieldLayout] = []
    members: list[tuple[str, StructMember]] = []
    offset = 0
    struct_align = 1
    for field in attrs.fields(cls):
        codec = field.metadata.get(FIELD_CODEC)
        if not isinstance(codec, Codec):
            raise CodecTypeError(
                f"{cls.__name__}.{field.name} has no C type: declare it with a pybpfmaps field helper, "
                "such as u32(), be16(), field(string(16)) or field(OtherStruct)"
            )
        align = 1 if packed else codec.align
        gap = -offset % align
        if gap:
            members.append(("", StructMember(f"{gap}x", None, None)))
        offset += gap
        layout.append(FieldLayout(field.name, offset, codec.size, codec))
        members.append((field.name, codec.struct_member(order)))
        offset += codec.size
        explicit = field.metadata.get(FIELD_PAD_AFTER, 0)
        if explicit:
            members.append(("", StructMember(f"{explicit}x", None, None)))
            offset += explicit
        struct_align = max(struct_align, align)
    if not layout:
        raise CodecTypeError(f"{cls.__name__} has no fields: a map key or value needs at least one byte")
    tail = -offset % struct_align
    if tail:
        members.append(("", StructMember(f"{tail}x", None, None)))
    return layout, members, offset + tail, struct_align


def _compile(
    cls: type,
    members: list[tuple[str, StructMember]],
    compiled: struct.Struct,
    diagnose: Any,
    coerce: Any,
) -> tuple[Any, Any, Any]:
    """Generate ``pack(obj) -> bytes``, ``pack_rows(objs, buffer)`` and ``from_tuple(values) -> obj``."""
    namespace: dict[str, Any] = {
        "cls": cls,
        "struct_pack": compiled.pack,
        "struct_pack_into": compiled.pack_into,
        "size": compiled.size,
        "diagnose": diagnose,
        "coerce": coerce,
        "CodecError": CodecError,
        "struct_error": struct.error,
    }
    pack_args: list[str] = []
    init_args: list[str] = []
    init_keywords: list[str] = []  # after the positional ones, wherever the fields are (a spin lock first)
    by_name = {field.name: field for field in attrs.fields(cls)}
    item = 0
    for name, member in members:
        if member.format.endswith("x"):
            continue
        if member.encode is not None:
            namespace[f"encode_{item}"] = member.encode
            pack_args.append(f"encode_{item}(obj.{name})")
        else:
            pack_args.append(f"obj.{name}")
        field = by_name[name]
        if field.init:
            value = f"values[{item}]"
            if member.decode is not None:
                namespace[f"decode_{item}"] = member.decode
                value = f"decode_{item}({value})"
            if field.kw_only:
                init_keywords.append(f"{field.alias}={value}")
            else:
                init_args.append(value)
        item += 1
    source = f"""
def pack(obj):
    if obj.__class__ is not cls:
        obj = coerce(obj)
    try:
        return struct_pack({", ".join(pack_args)})
    except (struct_error, CodecError, TypeError, ValueError, OverflowError):
        raise diagnose(obj) from None

def pack_rows(objs, buffer):
    offset = 0
    for obj in objs:
        struct_pack_into(buffer, offset, {", ".join(pack_args)})
        offset += size

def from_tuple(values):
    return cls({", ".join(init_args + init_keywords)})
"""
    exec(compile(source, f"<pybpfmaps layout of {cls.__qualname__}>", "exec"), namespace)
    return namespace["pack"], namespace["pack_rows"], namespace["from_tuple"]


_CODECS = "__pybpfmaps_codecs__"
"""The class attribute holding a layout class's codecs (a weak-keyed cache would keep them: codecs refer to it)."""


@overload
def codec_for(spec: Codec[T]) -> Codec[T]: ...
@overload
def codec_for(spec: type[T], *, packed: bool = False) -> StructCodec[T]: ...
@overload
def codec_for(spec: Any, *, packed: bool = False) -> Codec[Any]: ...


def codec_for(spec: Any, *, packed: bool = False) -> Codec[Any]:
    """The codec for *spec*: a codec is returned as it is; an attrs class gets its (cached) ``StructCodec``.

    Args:
        spec: A ``Codec`` or an attrs class whose fields carry codecs.
        packed: For an attrs class, lay it out as ``__attribute__((packed))``.
    """
    if isinstance(spec, Codec):
        if packed:
            raise CodecTypeError(f"packed=True applies to attrs classes, not to the codec {spec!r}")
        return spec
    if isinstance(spec, type) and attrs.has(spec):
        per_class: dict[bool, StructCodec[Any]] | None = spec.__dict__.get(_CODECS)  # not a base class's
        if per_class is None:
            per_class = {}
            setattr(spec, _CODECS, per_class)  # lives and dies with the class (classes made from BTF do die)
        if packed not in per_class:
            per_class[packed] = StructCodec(spec, packed=packed)
        return per_class[packed]
    declared = _declared_codec(spec)
    if declared is not None:
        raise CodecTypeError(
            f"{declared.name}() declares a field of an attrs class; as a type, pass {declared.name} itself "
            "(without the parentheses)"
        )
    raise CodecTypeError(
        f"{spec!r} is not a codec or an attrs class; use a codec such as u32, be16 or raw(16), "
        "or an @attrs.frozen class whose fields are declared with pybpfmaps field helpers"
    )


def _declared_codec(spec: Any) -> Codec[Any] | None:
    """The codec of a field declaration such as ``u32()`` (an attrs field not yet in a class), if *spec* is one."""
    metadata = getattr(spec, "metadata", None)
    codec = metadata.get(FIELD_CODEC) if isinstance(metadata, Mapping) else None
    return codec if isinstance(codec, Codec) else None


def as_codec(spec: Any, role: str) -> Codec[Any]:
    """``codec_for`` for a map's ``key=``/``value=`` argument; *role* names it in errors."""
    try:
        codec: Codec[Any] = codec_for(spec)
    except CodecError as exc:
        declared = _declared_codec(spec)
        shown = f"{declared.name}()" if declared is not None else repr(spec)
        raise type(exc)(f"{role}={shown}: {exc}") from None
    return codec


def field(spec: Any, **field_options: Any) -> Any:
    """An attrs field of a C type: a codec or a nested attrs class, e.g. ``inner: Inner = field(Inner)``.

    Options go to ``attrs.field`` (``default=``, ``converter=``, ``kw_only=``...).
    """
    return codec_for(spec)(**field_options)


@btf_type.register(StructCodec)
def _(codec: StructCodec, builder: Builder) -> int:  # type: ignore[type-arg]
    members = [(layout.name, btf_type(layout.codec, builder), layout.offset) for layout in codec.fields]
    return builder.struct(codec.cls.__name__, codec.size, members)


@holds_spin_lock.register(StructCodec)
def _(codec: StructCodec) -> bool:  # type: ignore[type-arg]
    return any(isinstance(layout.codec, SpinLockCodec) for layout in codec.fields)


@from_json.register(StructCodec)
def _(codec: StructCodec, value: Any, role: str, *, text: bool = False) -> Any:  # type: ignore[type-arg]
    """An instance from a JSON object of its fields, each read by its own codec."""
    if not isinstance(value, dict):
        return from_json.dispatch(object)(codec, value, role, text=text)
    fields = {field.name: field for field in attrs.fields(codec.cls)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} has no field {unknown[0]!r}")
    given = {
        fields[name].alias: from_json(fields[name].metadata[FIELD_CODEC], item, role) for name, item in value.items()
    }
    missing = [name for name, f in fields.items() if f.default is attrs.NOTHING and f.init and name not in value]
    if missing:
        fields_needed = f"field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        raise BpfArgumentError(f"bad {role}: {codec.cls.__name__} needs {fields_needed}")
    return codec.cls(**given)
