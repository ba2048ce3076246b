"""``ArrayMap``: BPF_MAP_TYPE_ARRAY, a fixed mapping of indexes ``0..max_entries-1`` that cannot delete."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from pybpfmaps._typevars import V
from pybpfmaps.codecs.base import Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.codecs.structs import as_codec
from pybpfmaps.errors import ArrayIndexError, BpfArgumentError, BpfError, CodecTypeError, NotSupportedError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._handle import MapHandle
from pybpfmaps.maps.base import BpfMap
from pybpfmaps.maps.info import MapInfo
from pybpfmaps.maps.memory import ArrayMemory

if TYPE_CHECKING:
    from typing_extensions import Self


class ArrayHandle(MapHandle):
    """An array's handle: keys are indexes, range-checked before anything reaches the kernel, and
    walked ``0..max_entries-1`` without a syscall."""

    __slots__ = ()

    def pack_keys(self, keys: Sequence[Any]) -> bytes:
        try:  # the codec checks that these are integers; then the range, at C speed
            packed = super().pack_keys(keys)
            if not keys or (min(keys) >= 0 and max(keys) < self.info.max_entries):
                return packed
        except (BpfError, TypeError):  # not all integers (or not comparable): the slow path says which
            pass
        return super().pack_keys([self.index(key) for key in keys])  # range-checks each, names the culprit

    def pack_key(self, key: object) -> bytes:
        return super().pack_key(self.index(key))

    def index(self, key: object) -> object:
        """*key* as a plain ``int`` if it is integer-like (``operator.index``), checked against the range."""
        if not hasattr(key, "__index__"):
            return key  # the key codec says what it takes
        try:
            index = operator.index(key)
        except Exception as exc:
            raise CodecTypeError(f"bad key for {self.label}: {key!r}: its __index__ raised {exc!r}") from None
        if not 0 <= index < self.info.max_entries:
            last = self.info.max_entries - 1
            raise ArrayIndexError(f"index {index} out of range for {self.label}: valid indexes are 0..{last}")
        return index

    def raw_keys(self) -> Iterator[bytes]:
        self.live_fd()
        pack = u32.pack
        return (pack(index) for index in range(self.info.max_entries))


class ArrayMap(BpfMap[int, V]):
    """A BPF array map (``BPF_MAP_TYPE_ARRAY``): every index ``0..max_entries-1`` always holds a value.

    Values start zeroed. ``len()`` is ``max_entries``, iteration yields the indexes in order, and
    an index outside the range raises ``ArrayIndexError`` (an ``IndexError`` and a ``KeyError``,
    so ``get()`` returns the default). Elements cannot be deleted; write a zero value instead.

    Minimum kernel:
        3.19.

    Examples:
        >>> from pybpfmaps import ArrayMap, u64
        >>> with ArrayMap.create(value=u64, max_entries=4) as counters:
        ...     counters[2] = 7
        ...     list(counters.values())
        [0, 0, 7, 0]
    """

    map_type: ClassVar[MapType | None] = MapType.ARRAY
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | MapFlags.MMAPABLE | _validate.ACCESS_FLAGS
    _handle_type: ClassVar[type[MapHandle]] = ArrayHandle

    @classmethod
    def create(
        cls,
        *,
        value: Codec[V] | type[V],
        max_entries: int,
        name: str = "",
        flags: MapFlags | int = MapFlags.NONE,
        key: Codec[int] | type[int] = u32,
        btf: bool = True,
    ) -> Self:
        """Create an array of *max_entries* zeroed values; keys are ``u32`` indexes.

        Args:
            value: The value codec or attrs layout class; its size is the map's value_size.
            max_entries: The number of elements.
            name: A kernel name, at most 15 characters from ``[A-Za-z0-9_.]``.
            flags: ``MapFlags`` arrays accept (``create_flags``).
            key: The index codec; the kernel requires 4 bytes.
            btf: Describe the values to the kernel with BTF (see ``BpfMap.create``).
        """
        index = as_codec(key, "key")
        if index.size != 4:
            raise BpfArgumentError(f"array map keys are 4-byte indexes; key codec {index!r} is {index.size} bytes")
        return super().create(key=index, value=value, max_entries=max_entries, name=name, flags=flags, btf=btf)

    @classmethod
    def _default_key(cls, info: MapInfo) -> Codec[Any]:
        return u32

    def memory(self) -> ArrayMemory:
        """The values mapped into this process (the map needs ``MapFlags.MMAPABLE``): read and written
        without syscalls, through ``mem[i]``, ``mem.values()`` or ``mem.field(name)``; see ``ArrayMemory``."""
        self._handle.live_fd()
        return ArrayMemory(self._handle, self._handle.value)

    def update(self, other: Mapping[int, V] | Iterable[tuple[int, V]] = (), /) -> None:
        """Write every (index, value) of a mapping or an iterable of pairs, one element at a time."""
        pairs = other.items() if isinstance(other, Mapping) else other
        for index, value in pairs:
            self.put(index, value)

    def __delitem__(self, key: int) -> NoReturn:
        self._handle.live_fd()
        raise NotSupportedError(
            None,
            f"array maps cannot delete elements: index {key!r} always exists; write a zero value instead",
            command="BPF_MAP_DELETE_ELEM",
            map_label=self._handle.label,
        )

    def __contains__(self, key: object) -> bool:
        self._handle.live_fd()
        try:
            self._handle.pack_key(key)
        except ArrayIndexError:
            return False
        return True

    def __bool__(self) -> bool:
        self._handle.live_fd()
        return True

    def __len__(self) -> int:
        self._handle.live_fd()
        return self._handle.info.max_entries

    def __iter__(self) -> Iterator[int]:
        """The indexes ``0..max_entries-1``, without a syscall."""
        return map(self._handle.key.unpack, self._handle.raw_keys())
