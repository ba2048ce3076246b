"""The public API is exactly what ``pybpfmaps.__all__`` lists; changing it is a reviewed decision."""

from __future__ import annotations

import pybpfmaps

PUBLIC_API = {
    "ArrayIndexError", "ArrayMap", "BpfArgumentError", "BpfError", "BpfMap", "BpfPermissionError",
    "BpfSyscallError", "ClosedMapError", "Codec", "CodecError", "CodecTypeError", "HashMap",
    "IterationAbortedError", "KeyExistsError", "KeyNotFoundError", "LruHashMap", "MapFlags", "MapFullError",
    "MapInfo", "MapNotFoundError", "MapType", "NotSupportedError", "UpdateFlags", "__version__",
    "be16", "be32", "be64", "i8", "i16", "i32", "i64", "list_maps", "raw", "u8", "u16", "u32", "u64",
    "FIELD_CODEC", "FieldLayout", "StructCodec", "StructMember", "array", "boolean", "codec_for", "field",
    "int_enum", "ipv4", "ipv6", "mac", "string", "FIELD_PAD_AFTER",
    "BatchDeleteError", "BatchError", "BatchInterrupted", "BatchSupport", "BatchUpdateError",
    "LpmTrieMap", "lpm_ipv4", "lpm_ipv6",
    "LruPerCpuHashMap", "PerCpuArrayMap", "PerCpuCodec", "PerCpuHashMap", "PerCpuValues",
    "BpfProgram", "ProgType", "TestRun", "VerifierError", "XdpAction", "XdpAttachment",
    "IfindexCodec", "ifindex", "spin_lock", "DrainError",
}  # fmt: skip


def test_all_is_the_reviewed_public_api() -> None:
    assert set(pybpfmaps.__all__) == PUBLIC_API
    assert len(pybpfmaps.__all__) == len(PUBLIC_API)


def test_every_public_name_exists_and_is_documented() -> None:
    for name in pybpfmaps.__all__:
        obj = getattr(pybpfmaps, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__doc__, name


def test_map_classes_are_bpfmaps() -> None:
    for cls in (pybpfmaps.HashMap, pybpfmaps.LruHashMap, pybpfmaps.ArrayMap):
        assert issubclass(cls, pybpfmaps.BpfMap)
    assert issubclass(pybpfmaps.LruHashMap, pybpfmaps.HashMap)
