"""Kernel-named enums: ``UpdateFlags`` (BPF_ANY/NOEXIST/EXIST/F_LOCK), ``MapFlags`` (BPF_F_*) and ``MapType``."""

from __future__ import annotations

import enum

from pybpfmaps._sys import uapi


class UpdateFlags(enum.IntFlag):
    """How a write treats an existing key (``BPF_ANY``, ``BPF_NOEXIST``, ``BPF_EXIST``), plus ``BPF_F_LOCK``.

    ``NOEXIST`` and ``EXIST`` exclude each other; ``LOCK`` combines with either and needs a map
    whose value holds a ``struct bpf_spin_lock``.
    """

    ANY = uapi.BPF_ANY
    NOEXIST = uapi.BPF_NOEXIST
    EXIST = uapi.BPF_EXIST
    LOCK = uapi.BPF_F_LOCK


class MapFlags(enum.IntFlag):
    """``map_flags`` given at creation (the ``BPF_F_*`` bits of ``union bpf_attr``)."""

    NONE = 0
    NO_PREALLOC = uapi.BPF_F_NO_PREALLOC
    NO_COMMON_LRU = uapi.BPF_F_NO_COMMON_LRU
    NUMA_NODE = uapi.BPF_F_NUMA_NODE
    RDONLY = uapi.BPF_F_RDONLY
    WRONLY = uapi.BPF_F_WRONLY
    STACK_BUILD_ID = uapi.BPF_F_STACK_BUILD_ID
    ZERO_SEED = uapi.BPF_F_ZERO_SEED
    RDONLY_PROG = uapi.BPF_F_RDONLY_PROG
    WRONLY_PROG = uapi.BPF_F_WRONLY_PROG
    CLONE = uapi.BPF_F_CLONE
    MMAPABLE = uapi.BPF_F_MMAPABLE
    PRESERVE_ELEMS = uapi.BPF_F_PRESERVE_ELEMS
    INNER_MAP = uapi.BPF_F_INNER_MAP
    LINK = uapi.BPF_F_LINK
    PATH_FD = uapi.BPF_F_PATH_FD
    VTYPE_BTF_OBJ_FD = uapi.BPF_F_VTYPE_BTF_OBJ_FD
    TOKEN_FD = uapi.BPF_F_TOKEN_FD
    SEGV_ON_FAULT = uapi.BPF_F_SEGV_ON_FAULT
    NO_USER_CONV = uapi.BPF_F_NO_USER_CONV


class MapType(enum.IntEnum):
    """``enum bpf_map_type``; ``MapType.LRU_HASH`` is ``BPF_MAP_TYPE_LRU_HASH``."""

    UNSPEC = uapi.BPF_MAP_TYPE_UNSPEC
    HASH = uapi.BPF_MAP_TYPE_HASH
    ARRAY = uapi.BPF_MAP_TYPE_ARRAY
    PROG_ARRAY = uapi.BPF_MAP_TYPE_PROG_ARRAY
    PERF_EVENT_ARRAY = uapi.BPF_MAP_TYPE_PERF_EVENT_ARRAY
    PERCPU_HASH = uapi.BPF_MAP_TYPE_PERCPU_HASH
    PERCPU_ARRAY = uapi.BPF_MAP_TYPE_PERCPU_ARRAY
    STACK_TRACE = uapi.BPF_MAP_TYPE_STACK_TRACE
    CGROUP_ARRAY = uapi.BPF_MAP_TYPE_CGROUP_ARRAY
    LRU_HASH = uapi.BPF_MAP_TYPE_LRU_HASH
    LRU_PERCPU_HASH = uapi.BPF_MAP_TYPE_LRU_PERCPU_HASH
    LPM_TRIE = uapi.BPF_MAP_TYPE_LPM_TRIE
    ARRAY_OF_MAPS = uapi.BPF_MAP_TYPE_ARRAY_OF_MAPS
    HASH_OF_MAPS = uapi.BPF_MAP_TYPE_HASH_OF_MAPS
    DEVMAP = uapi.BPF_MAP_TYPE_DEVMAP
    SOCKMAP = uapi.BPF_MAP_TYPE_SOCKMAP
    CPUMAP = uapi.BPF_MAP_TYPE_CPUMAP
    XSKMAP = uapi.BPF_MAP_TYPE_XSKMAP
    SOCKHASH = uapi.BPF_MAP_TYPE_SOCKHASH
    CGROUP_STORAGE = uapi.BPF_MAP_TYPE_CGROUP_STORAGE
    REUSEPORT_SOCKARRAY = uapi.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY
    PERCPU_CGROUP_STORAGE = uapi.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
    QUEUE = uapi.BPF_MAP_TYPE_QUEUE
    STACK = uapi.BPF_MAP_TYPE_STACK
    SK_STORAGE = uapi.BPF_MAP_TYPE_SK_STORAGE
    DEVMAP_HASH = uapi.BPF_MAP_TYPE_DEVMAP_HASH
    STRUCT_OPS = uapi.BPF_MAP_TYPE_STRUCT_OPS
    RINGBUF = uapi.BPF_MAP_TYPE_RINGBUF
    INODE_STORAGE = uapi.BPF_MAP_TYPE_INODE_STORAGE
    TASK_STORAGE = uapi.BPF_MAP_TYPE_TASK_STORAGE
    BLOOM_FILTER = uapi.BPF_MAP_TYPE_BLOOM_FILTER
    USER_RINGBUF = uapi.BPF_MAP_TYPE_USER_RINGBUF
    CGRP_STORAGE = uapi.BPF_MAP_TYPE_CGRP_STORAGE
    ARENA = uapi.BPF_MAP_TYPE_ARENA


class ProgType(enum.IntEnum):
    """The ``enum bpf_prog_type`` values pybpfmaps loads programs of."""

    SOCKET_FILTER = uapi.BPF_PROG_TYPE_SOCKET_FILTER
    SCHED_CLS = uapi.BPF_PROG_TYPE_SCHED_CLS
    SCHED_ACT = uapi.BPF_PROG_TYPE_SCHED_ACT
    XDP = uapi.BPF_PROG_TYPE_XDP
    CGROUP_SKB = uapi.BPF_PROG_TYPE_CGROUP_SKB
    SK_SKB = uapi.BPF_PROG_TYPE_SK_SKB
    RAW_TRACEPOINT = uapi.BPF_PROG_TYPE_RAW_TRACEPOINT


class AttachType(enum.IntEnum):
    """``enum bpf_attach_type`` values pybpfmaps attaches programs at."""

    CGROUP_INET_INGRESS = uapi.BPF_CGROUP_INET_INGRESS
    CGROUP_INET_EGRESS = uapi.BPF_CGROUP_INET_EGRESS
    SK_SKB_STREAM_PARSER = uapi.BPF_SK_SKB_STREAM_PARSER
    SK_SKB_STREAM_VERDICT = uapi.BPF_SK_SKB_STREAM_VERDICT
    SK_MSG_VERDICT = uapi.BPF_SK_MSG_VERDICT
    SK_SKB_VERDICT = uapi.BPF_SK_SKB_VERDICT
    XDP_DEVMAP = uapi.BPF_XDP_DEVMAP
    XDP_CPUMAP = uapi.BPF_XDP_CPUMAP


class XdpAction(enum.IntEnum):
    """What an XDP program returns (``enum xdp_action``)."""

    ABORTED = 0
    DROP = 1
    PASS = 2
    TX = 3
    REDIRECT = 4
