"""Mirror of the parts of ``include/uapi/linux/bpf.h`` that pybpfmaps uses: numbers and structs, no logic.

Offsets were checked against the kernel's own header; ``tests/unit/test_uapi.py`` pins every
struct size and field offset so that an edit here cannot silently move a field.
"""

from __future__ import annotations

import ctypes

# enum bpf_cmd (append-only)
BPF_MAP_CREATE = 0
BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_UPDATE_ELEM = 2
BPF_MAP_DELETE_ELEM = 3
BPF_MAP_GET_NEXT_KEY = 4
BPF_PROG_LOAD = 5
BPF_OBJ_PIN = 6
BPF_OBJ_GET = 7
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_GET_NEXT_ID = 11
BPF_MAP_GET_NEXT_ID = 12
BPF_PROG_GET_FD_BY_ID = 13
BPF_MAP_GET_FD_BY_ID = 14
BPF_PROG_TEST_RUN = 10
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_BTF_LOAD = 18
BPF_BTF_GET_FD_BY_ID = 19
BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21
BPF_MAP_FREEZE = 22
BPF_MAP_LOOKUP_BATCH = 24
BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25
BPF_MAP_UPDATE_BATCH = 26
BPF_MAP_DELETE_BATCH = 27
BPF_RAW_TRACEPOINT_OPEN = 17
BPF_LINK_CREATE = 28
BPF_LINK_GET_FD_BY_ID = 30
BPF_LINK_DETACH = 34

COMMAND_NAMES: dict[int, str] = {
    BPF_MAP_CREATE: "BPF_MAP_CREATE",
    BPF_MAP_LOOKUP_ELEM: "BPF_MAP_LOOKUP_ELEM",
    BPF_MAP_UPDATE_ELEM: "BPF_MAP_UPDATE_ELEM",
    BPF_MAP_DELETE_ELEM: "BPF_MAP_DELETE_ELEM",
    BPF_MAP_GET_NEXT_KEY: "BPF_MAP_GET_NEXT_KEY",
    BPF_PROG_LOAD: "BPF_PROG_LOAD",
    BPF_OBJ_PIN: "BPF_OBJ_PIN",
    BPF_OBJ_GET: "BPF_OBJ_GET",
    BPF_PROG_ATTACH: "BPF_PROG_ATTACH",
    BPF_PROG_DETACH: "BPF_PROG_DETACH",
    BPF_PROG_GET_NEXT_ID: "BPF_PROG_GET_NEXT_ID",
    BPF_MAP_GET_NEXT_ID: "BPF_MAP_GET_NEXT_ID",
    BPF_PROG_TEST_RUN: "BPF_PROG_TEST_RUN",
    BPF_PROG_GET_FD_BY_ID: "BPF_PROG_GET_FD_BY_ID",
    BPF_MAP_GET_FD_BY_ID: "BPF_MAP_GET_FD_BY_ID",
    BPF_OBJ_GET_INFO_BY_FD: "BPF_OBJ_GET_INFO_BY_FD",
    BPF_BTF_LOAD: "BPF_BTF_LOAD",
    BPF_BTF_GET_FD_BY_ID: "BPF_BTF_GET_FD_BY_ID",
    BPF_MAP_LOOKUP_AND_DELETE_ELEM: "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
    BPF_MAP_FREEZE: "BPF_MAP_FREEZE",
    BPF_MAP_LOOKUP_BATCH: "BPF_MAP_LOOKUP_BATCH",
    BPF_MAP_LOOKUP_AND_DELETE_BATCH: "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
    BPF_MAP_UPDATE_BATCH: "BPF_MAP_UPDATE_BATCH",
    BPF_MAP_DELETE_BATCH: "BPF_MAP_DELETE_BATCH",
    BPF_RAW_TRACEPOINT_OPEN: "BPF_RAW_TRACEPOINT_OPEN",
    BPF_LINK_CREATE: "BPF_LINK_CREATE",
    BPF_LINK_GET_FD_BY_ID: "BPF_LINK_GET_FD_BY_ID",
    BPF_LINK_DETACH: "BPF_LINK_DETACH",
}

# enum bpf_map_type
BPF_MAP_TYPE_UNSPEC = 0
BPF_MAP_TYPE_HASH = 1
BPF_MAP_TYPE_ARRAY = 2
BPF_MAP_TYPE_PROG_ARRAY = 3
BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4
BPF_MAP_TYPE_PERCPU_HASH = 5
BPF_MAP_TYPE_PERCPU_ARRAY = 6
BPF_MAP_TYPE_STACK_TRACE = 7
BPF_MAP_TYPE_CGROUP_ARRAY = 8
BPF_MAP_TYPE_LRU_HASH = 9
BPF_MAP_TYPE_LRU_PERCPU_HASH = 10
BPF_MAP_TYPE_LPM_TRIE = 11
BPF_MAP_TYPE_ARRAY_OF_MAPS = 12
BPF_MAP_TYPE_HASH_OF_MAPS = 13
BPF_MAP_TYPE_DEVMAP = 14
BPF_MAP_TYPE_SOCKMAP = 15
BPF_MAP_TYPE_CPUMAP = 16
BPF_MAP_TYPE_XSKMAP = 17
BPF_MAP_TYPE_SOCKHASH = 18
BPF_MAP_TYPE_CGROUP_STORAGE = 19
BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20
BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21
BPF_MAP_TYPE_QUEUE = 22
BPF_MAP_TYPE_STACK = 23
BPF_MAP_TYPE_SK_STORAGE = 24
BPF_MAP_TYPE_DEVMAP_HASH = 25
BPF_MAP_TYPE_STRUCT_OPS = 26
BPF_MAP_TYPE_RINGBUF = 27
BPF_MAP_TYPE_INODE_STORAGE = 28
BPF_MAP_TYPE_TASK_STORAGE = 29
BPF_MAP_TYPE_BLOOM_FILTER = 30
BPF_MAP_TYPE_USER_RINGBUF = 31
BPF_MAP_TYPE_CGRP_STORAGE = 32
BPF_MAP_TYPE_ARENA = 33

# enum bpf_prog_type (the ones pybpfmaps loads)
BPF_PROG_TYPE_SOCKET_FILTER = 1
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_SCHED_ACT = 4
BPF_PROG_TYPE_XDP = 6
BPF_PROG_TYPE_CGROUP_SKB = 8
BPF_PROG_TYPE_SK_SKB = 14
BPF_PROG_TYPE_RAW_TRACEPOINT = 17

# ld_imm64 src_reg: imm is a map fd
BPF_PSEUDO_MAP_FD = 1

# element update flags
BPF_ANY = 0
BPF_NOEXIST = 1
BPF_EXIST = 2
BPF_F_LOCK = 4

# map_flags at create time
BPF_F_NO_PREALLOC = 1 << 0
BPF_F_NO_COMMON_LRU = 1 << 1
BPF_F_NUMA_NODE = 1 << 2
BPF_F_RDONLY = 1 << 3
BPF_F_WRONLY = 1 << 4
BPF_F_STACK_BUILD_ID = 1 << 5
BPF_F_ZERO_SEED = 1 << 6
BPF_F_RDONLY_PROG = 1 << 7
BPF_F_WRONLY_PROG = 1 << 8
BPF_F_CLONE = 1 << 9
BPF_F_MMAPABLE = 1 << 10
BPF_F_PRESERVE_ELEMS = 1 << 11
BPF_F_INNER_MAP = 1 << 12
BPF_F_LINK = 1 << 13
BPF_F_PATH_FD = 1 << 14
BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15
BPF_F_TOKEN_FD = 1 << 16
BPF_F_SEGV_ON_FAULT = 1 << 17
BPF_F_NO_USER_CONV = 1 << 18

BPF_OBJ_NAME_LEN = 16

# A kernel-internal errno that leaks to user space ("Unknown error 524").
ENOTSUPP = 524

# The kernel's pointer fields are __aligned_u64. In a 64-bit process a C pointer is exactly that,
# and ctypes stores a bytes object's address into a c_char_p field without a Python-level cast.
POINTER = ctypes.c_char_p


class MapCreateAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_MAP_CREATE, up to ``map_extra``."""

    _fields_ = (
        ("map_type", ctypes.c_uint32),
        ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32),
        ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32),
        ("inner_map_fd", ctypes.c_uint32),
        ("numa_node", ctypes.c_uint32),
        ("map_name", ctypes.c_char * BPF_OBJ_NAME_LEN),
        ("map_ifindex", ctypes.c_uint32),
        ("btf_fd", ctypes.c_uint32),
        ("btf_key_type_id", ctypes.c_uint32),
        ("btf_value_type_id", ctypes.c_uint32),
        ("btf_vmlinux_value_type_id", ctypes.c_uint32),
        ("map_extra", ctypes.c_uint64),
    )


class MapElemAttr(ctypes.Structure):
    """``union bpf_attr`` for the *_ELEM commands, GET_NEXT_KEY and FREEZE."""

    _fields_ = (
        ("map_fd", ctypes.c_uint32),
        ("_pad0", ctypes.c_uint32),
        ("key", POINTER),
        ("value", POINTER),  # also next_key
        ("flags", ctypes.c_uint64),
    )


class MapBatchAttr(ctypes.Structure):
    """``union bpf_attr`` for the *_BATCH commands (``attr.batch``)."""

    _fields_ = (
        ("in_batch", POINTER),
        ("out_batch", POINTER),
        ("keys", POINTER),
        ("values", POINTER),
        ("count", ctypes.c_uint32),
        ("map_fd", ctypes.c_uint32),
        ("elem_flags", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
    )


class ObjPinAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_OBJ_PIN and BPF_OBJ_GET."""

    _fields_ = (
        ("pathname", POINTER),
        ("bpf_fd", ctypes.c_uint32),
        ("file_flags", ctypes.c_uint32),
    )


class GetIdAttr(ctypes.Structure):
    """``union bpf_attr`` for *_GET_NEXT_ID and *_GET_FD_BY_ID."""

    _fields_ = (
        ("start_id", ctypes.c_uint32),  # also map_id
        ("next_id", ctypes.c_uint32),
        ("open_flags", ctypes.c_uint32),
    )


PROG_INFO_SIZE = 256
"""Bytes of ``struct bpf_prog_info`` pybpfmaps asks for (the kernel fills what it has, zeroes the rest)."""
PROG_INFO_TYPE, PROG_INFO_ID, PROG_INFO_NAME = 0, 4, 64
"""Offsets of ``type``, ``id`` and ``name[16]`` in ``struct bpf_prog_info``."""
PROG_INFO_NR_MAP_IDS, PROG_INFO_MAP_IDS, PROG_INFO_BTF_ID = 52, 56, 128
"""Offsets of ``nr_map_ids``, ``map_ids`` (a pointer) and ``btf_id`` in ``struct bpf_prog_info``."""


# enum bpf_attach_type
BPF_CGROUP_INET_INGRESS = 0
BPF_CGROUP_INET_EGRESS = 1
BPF_SK_SKB_STREAM_PARSER = 4
BPF_SK_SKB_STREAM_VERDICT = 5
BPF_SK_MSG_VERDICT = 7
BPF_SK_SKB_VERDICT = 38
BPF_XDP_DEVMAP = 33
BPF_XDP_CPUMAP = 35


class ProgAttachAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_PROG_ATTACH and BPF_PROG_DETACH, up to ``attach_flags``."""

    _fields_ = (
        ("target_fd", ctypes.c_uint32),
        ("attach_bpf_fd", ctypes.c_uint32),
        ("attach_type", ctypes.c_uint32),
        ("attach_flags", ctypes.c_uint32),
    )


class InfoAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_OBJ_GET_INFO_BY_FD (``attr.info``)."""

    _fields_ = (
        ("bpf_fd", ctypes.c_uint32),
        ("info_len", ctypes.c_uint32),
        ("info", POINTER),
    )


class BpfMapInfo(ctypes.Structure):
    """``struct bpf_map_info`` as of Linux 6.18 (104 bytes); older kernels fill a prefix."""

    _fields_ = (
        ("type", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32),
        ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32),
        ("name", ctypes.c_char * BPF_OBJ_NAME_LEN),
        ("ifindex", ctypes.c_uint32),
        ("btf_vmlinux_value_type_id", ctypes.c_uint32),
        ("netns_dev", ctypes.c_uint64),
        ("netns_ino", ctypes.c_uint64),
        ("btf_id", ctypes.c_uint32),
        ("btf_key_type_id", ctypes.c_uint32),
        ("btf_value_type_id", ctypes.c_uint32),
        ("btf_vmlinux_id", ctypes.c_uint32),
        ("map_extra", ctypes.c_uint64),
        ("hash", ctypes.c_uint64),
        ("hash_size", ctypes.c_uint32),
        ("_pad0", ctypes.c_uint32),
    )


class ProgLoadAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_PROG_LOAD, up to ``line_info_cnt`` (BTF and its func and line info)."""

    _fields_ = (
        ("prog_type", ctypes.c_uint32),
        ("insn_cnt", ctypes.c_uint32),
        ("insns", POINTER),
        ("license", POINTER),
        ("log_level", ctypes.c_uint32),
        ("log_size", ctypes.c_uint32),
        ("log_buf", POINTER),
        ("kern_version", ctypes.c_uint32),
        ("prog_flags", ctypes.c_uint32),
        ("prog_name", ctypes.c_char * BPF_OBJ_NAME_LEN),
        ("prog_ifindex", ctypes.c_uint32),
        ("expected_attach_type", ctypes.c_uint32),
        ("prog_btf_fd", ctypes.c_uint32),
        ("func_info_rec_size", ctypes.c_uint32),
        ("func_info", POINTER),
        ("func_info_cnt", ctypes.c_uint32),
        ("line_info_rec_size", ctypes.c_uint32),
        ("line_info", POINTER),
        ("line_info_cnt", ctypes.c_uint32),
        ("attach_btf_id", ctypes.c_uint32),
        ("attach_btf_obj_fd", ctypes.c_uint32),
    )


class LinkCreateAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_LINK_CREATE, up to ``target_btf_id``: the rest (a perf event's
    cookie, tcx's relative program) is left zero."""

    _fields_ = (
        ("prog_fd", ctypes.c_uint32),
        ("target_fd", ctypes.c_uint32),  # also target_ifindex
        ("attach_type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("target_btf_id", ctypes.c_uint32),
    )


class RawTracepointAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_RAW_TRACEPOINT_OPEN (``attr.raw_tracepoint``)."""

    _fields_ = (
        ("name", POINTER),
        ("prog_fd", ctypes.c_uint32),
    )


class LinkDetachAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_LINK_DETACH (``attr.link_detach``)."""

    _fields_ = (("link_fd", ctypes.c_uint32),)


LINK_INFO_SIZE = 64
"""Bytes of ``struct bpf_link_info`` pybpfmaps asks for: ``type``, ``id``, ``prog_id`` and the union after."""


class ProgTestRunAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_PROG_TEST_RUN (``attr.test``), up to ``cpu``."""

    _fields_ = (
        ("prog_fd", ctypes.c_uint32),
        ("retval", ctypes.c_uint32),
        ("data_size_in", ctypes.c_uint32),
        ("data_size_out", ctypes.c_uint32),
        ("data_in", POINTER),
        ("data_out", POINTER),
        ("repeat", ctypes.c_uint32),
        ("duration", ctypes.c_uint32),
        ("ctx_size_in", ctypes.c_uint32),
        ("ctx_size_out", ctypes.c_uint32),
        ("ctx_in", POINTER),
        ("ctx_out", POINTER),
        ("flags", ctypes.c_uint32),
        ("cpu", ctypes.c_uint32),
    )


class BtfLoadAttr(ctypes.Structure):
    """``union bpf_attr`` for BPF_BTF_LOAD, up to ``btf_log_level``."""

    _fields_ = (
        ("btf", POINTER),
        ("btf_log_buf", POINTER),
        ("btf_size", ctypes.c_uint32),
        ("btf_log_size", ctypes.c_uint32),
        ("btf_log_level", ctypes.c_uint32),
    )


class BpfBtfInfo(ctypes.Structure):
    """``struct bpf_btf_info``: where BPF_OBJ_GET_INFO_BY_FD copies a BTF object's raw data."""

    _fields_ = (
        ("btf", POINTER),
        ("btf_size", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("name", POINTER),
        ("name_len", ctypes.c_uint32),
        ("kernel_btf", ctypes.c_uint32),
    )
