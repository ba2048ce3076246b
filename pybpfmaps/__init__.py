"""pybpfmaps: Linux eBPF maps as Python dicts, over the raw bpf(2) syscall.

The whole public API is listed here; everything else is private.
"""

from pybpfmaps.codec import Codec, be16, be32, be64, i8, i16, i32, i64, raw, u8, u16, u32, u64
from pybpfmaps.errors import (
    ArrayIndexError,
    BpfArgumentError,
    BpfError,
    BpfPermissionError,
    BpfSyscallError,
    ClosedMapError,
    CodecError,
    CodecTypeError,
    IterationAbortedError,
    KeyExistsError,
    KeyNotFoundError,
    MapFullError,
    MapNotFoundError,
    NotSupportedError,
)
from pybpfmaps.flags import MapFlags, MapType, UpdateFlags
from pybpfmaps.maps import ArrayMap, BpfMap, HashMap, LruHashMap, MapInfo, list_maps

__version__ = "0.1.0.dev0"

__all__ = [
    "ArrayIndexError",
    "ArrayMap",
    "BpfArgumentError",
    "BpfError",
    "BpfMap",
    "BpfPermissionError",
    "BpfSyscallError",
    "ClosedMapError",
    "Codec",
    "CodecError",
    "CodecTypeError",
    "HashMap",
    "IterationAbortedError",
    "KeyExistsError",
    "KeyNotFoundError",
    "LruHashMap",
    "MapFlags",
    "MapFullError",
    "MapInfo",
    "MapNotFoundError",
    "MapType",
    "NotSupportedError",
    "UpdateFlags",
    "__version__",
    "be16",
    "be32",
    "be64",
    "i8",
    "i16",
    "i32",
    "i64",
    "list_maps",
    "raw",
    "u8",
    "u16",
    "u32",
    "u64",
]
