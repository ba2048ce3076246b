"""``StackTraceMap``: BPF_MAP_TYPE_STACK_TRACE, the stacks ``bpf_get_stackid()`` records (Linux 4.6+).

A program calls ``bpf_get_stackid(ctx, map, flags)`` and gets a stack id; ``m[stack_id]`` is that
stack, innermost frame first: a tuple of instruction addresses, or with ``build_id=True`` a tuple
of ``BuildIdFrame`` (the ELF build id and offset of each user-space frame, for symbolizing on
another machine). User space reads and deletes stacks; only programs add them.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pybpfmaps._sys.fd import Fd
from pybpfmaps.codecs.base import Buffer, Codec
from pybpfmaps.codecs.ints import u32
from pybpfmaps.errors import BpfArgumentError, CodecError
from pybpfmaps.flags import MapFlags, MapType
from pybpfmaps.maps import _validate
from pybpfmaps.maps._create import create_keyed
from pybpfmaps.maps._mutable import MutableBpfMap
from pybpfmaps.maps.info import MapInfo

if TYPE_CHECKING:
    from typing_extensions import Self

MAX_DEPTH = 127
"""The deepest stack the kernel records by default (``kernel.perf_event_max_stack``)."""

_BUILD_ID_FRAME = struct.Struct("=i20sQ")  # struct bpf_stack_build_id: status, build_id[20], offset or ip


class BuildIdFrame(NamedTuple):
    """One frame of a build-id stack: ``status`` 1 (``BPF_STACK_BUILD_ID_VALID``: ``build_id`` and
    ``offset`` into that file) or 2 (``BPF_STACK_BUILD_ID_IP``: only ``offset``, the raw address)."""

    status: int
    build_id: bytes
    offset: int


class StackCodec(Codec[tuple[Any, ...]]):
    """A recorded stack: up to *depth* frames, the unused ones zero (left out when decoded)."""

    __slots__ = ("build_id", "depth")

    def __init__(self, depth: int, *, build_id: bool = False) -> None:
        frame = _BUILD_ID_FRAME.size if build_id else 8
        super().__init__(depth * frame, f"stack({depth}{', build_id' if build_id else ''})", 8)
        self.depth = depth
        self.build_id = build_id

    def pack(self, value: tuple[Any, ...]) -> bytes:
        frames = list(value)
        if len(frames) > self.depth:
            raise CodecError(f"{self.name} holds at most {self.depth} frames, got {len(frames)}")
        try:
            if self.build_id:
                packed = b"".join(_BUILD_ID_FRAME.pack(*frame) for frame in frames)
            else:
                packed = struct.pack(f"={len(frames)}Q", *frames)
        except (struct.error, TypeError) as exc:
            raise CodecError(f"{self.name} cannot encode {value!r}: {exc}") from None
        return packed.ljust(self.size, b"\0")

    def unpack(self, data: Buffer) -> tuple[Any, ...]:
        if self.build_id:
            frames = [BuildIdFrame(*fields) for fields in _BUILD_ID_FRAME.iter_unpack(data)]
            return tuple(frame for frame in frames if frame.status)
        addresses = struct.unpack(f"={self.depth}Q", data)
        return tuple(address for address in addresses if address)


class StackTraceMap(MutableBpfMap[int, tuple[Any, ...]]):
    """Stacks by stack id, as ``bpf_get_stackid()`` recorded them; read and deleted from user space."""

    map_type: ClassVar[MapType | None] = MapType.STACK_TRACE
    create_flags: ClassVar[MapFlags] = MapFlags.NUMA_NODE | MapFlags.STACK_BUILD_ID | _validate.ACCESS_FLAGS

    @classmethod
    def create(  # type: ignore[override]
        cls, *, max_entries: int, depth: int = MAX_DEPTH, build_id: bool = False, name: str = "",
        flags: MapFlags | int = MapFlags.NONE,
    ) -> Self:  # fmt: skip
        """A new map for *max_entries* stacks of up to *depth* frames (addresses, or with
        *build_id* the build id and offset of each frame)."""
        if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
            raise BpfArgumentError(f"depth must be an int from 1 to {MAX_DEPTH}, got {depth!r}")
        bits = int(flags) | (MapFlags.STACK_BUILD_ID if build_id else 0)
        return create_keyed(cls, u32, StackCodec(depth, build_id=build_id), max_entries, name, bits, with_btf=False)

    @classmethod
    def _from_kernel(
        cls, fd: Fd, info: MapInfo, key: Codec[Any] | type | None, value: Codec[Any] | type | None,
        pin_path: str | None, btf: bool,
    ) -> Self:  # fmt: skip
        if key not in (None, u32) or not (value is None or isinstance(value, StackCodec)):
            raise BpfArgumentError(f"{info.label}: a stack trace map's keys are stack ids and its values stacks")
        built = bool(info.flags & MapFlags.STACK_BUILD_ID)
        codec = value if value is not None else StackCodec(info.value_size // (32 if built else 8), build_id=built)
        return cls(fd, info, u32, codec, pin_path)
