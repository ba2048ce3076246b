"""One typed function per ``bpf(2)`` command pybpfmaps uses: bytes in, bytes or ints out.

Pointer fields (``uapi.POINTER``) take a ``bytes`` object directly, or an int address.

Every function fills the attr struct of its command and calls ``syscall.bpf``; failures come out
as ``RawBpfError`` (errno + command) for the layer above to translate.
"""

from __future__ import annotations

import ctypes
import errno
import struct

from pybpfmaps._sys import uapi
from pybpfmaps._sys.syscall import _NR, RawBpfError, _syscall, bpf


def _address(data: bytes) -> int:
    """The address of the bytes of an immutable ``bytes`` object; the caller keeps *data* alive."""
    address = ctypes.cast(data, ctypes.c_void_p).value  # type: ignore[arg-type]  # ctypes takes bytes here
    assert address is not None
    return address


def map_create(
    map_type: int,
    key_size: int,
    value_size: int,
    max_entries: int,
    map_flags: int,
    name: bytes,
    btf: tuple[int, int, int] | None = None,
    map_extra: int = 0,
    inner_map_fd: int = 0,
) -> int:
    """BPF_MAP_CREATE; returns the new map's fd. *btf* is (BTF fd, key type id, value type id);
    *map_extra* a bloom filter's number of hash functions; *inner_map_fd* a map of maps' template."""
    btf_fd, key_type, value_type = btf or (0, 0, 0)
    attr = uapi.MapCreateAttr(
        map_type=map_type,
        key_size=key_size,
        value_size=value_size,
        max_entries=max_entries,
        map_flags=map_flags,
        map_name=name,
        btf_fd=btf_fd,
        btf_key_type_id=key_type,
        btf_value_type_id=value_type,
        map_extra=map_extra,
        inner_map_fd=inner_map_fd,
    )
    return bpf(uapi.BPF_MAP_CREATE, attr)


def map_lookup_elem(fd: int, key: bytes | None, value_size: int, flags: int = 0) -> bytes:
    """BPF_MAP_LOOKUP_ELEM; returns the value's bytes (no *key*: a queue's or stack's peek)."""
    value = ctypes.create_string_buffer(value_size)
    attr = uapi.MapElemAttr(fd, 0, key, ctypes.addressof(value), flags)
    bpf(uapi.BPF_MAP_LOOKUP_ELEM, attr)
    return value.raw


def map_lookup_elems(fd: int, keys: bytes, key_size: int, value_size: int) -> tuple[bytes, list[int]]:
    """BPF_MAP_LOOKUP_ELEM for each key packed in *keys*, with one attr struct reused: the values
    side by side (zeros where a key is absent) and the indexes of the absent keys.

    Any other failure raises ``RawBpfError`` with ``count`` set to the index of the failing key.
    """
    count = len(keys) // key_size
    values = ctypes.create_string_buffer(value_size * count)
    attr = uapi.MapElemAttr(fd, 0, None, None, 0)
    reference, size, syscall = ctypes.byref(attr), ctypes.sizeof(attr), _syscall
    command, number, enoent = uapi.BPF_MAP_LOOKUP_ELEM, _NR, errno.ENOENT
    key_at, value_at = _address(keys), ctypes.addressof(values)
    absent: list[int] = []
    for index in range(count):
        attr.key = key_at + index * key_size  # an address: POINTER fields take ints
        attr.value = value_at + index * value_size
        if syscall(number, command, reference, size) < 0:
            err = ctypes.get_errno()
            if err != enoent:
                exc = RawBpfError(err, command)
                exc.count = index
                raise exc
            absent.append(index)
    return values.raw, absent


def map_update_elem(fd: int, key: bytes | None, value: bytes, flags: int) -> None:
    """BPF_MAP_UPDATE_ELEM with BPF_ANY / BPF_NOEXIST / BPF_EXIST, optionally | BPF_F_LOCK (no
    *key*: a push onto a queue or stack, an add to a bloom filter)."""
    attr = uapi.MapElemAttr(fd, 0, key, value, flags)
    bpf(uapi.BPF_MAP_UPDATE_ELEM, attr)


def map_holds_value(fd: int, value: bytes) -> bool:
    """BPF_MAP_LOOKUP_ELEM of a bloom filter: whether *value* may be in it (ENOENT: surely not)."""
    attr = uapi.MapElemAttr(fd, 0, None, value, 0)
    try:
        bpf(uapi.BPF_MAP_LOOKUP_ELEM, attr)
    except RawBpfError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    return True


def map_delete_elem(fd: int, key: bytes) -> None:
    """BPF_MAP_DELETE_ELEM."""
    attr = uapi.MapElemAttr(fd, 0, key)
    bpf(uapi.BPF_MAP_DELETE_ELEM, attr)


def map_lookup_and_delete_elem(fd: int, key: bytes | None, value_size: int, flags: int = 0) -> bytes:
    """BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash family from Linux 5.14, with BPF_F_LOCK too; no *key*: a
    queue's or stack's pop); returns the removed value."""
    value = ctypes.create_string_buffer(value_size)
    attr = uapi.MapElemAttr(fd, 0, key, ctypes.addressof(value), flags)
    bpf(uapi.BPF_MAP_LOOKUP_AND_DELETE_ELEM, attr)
    return value.raw


def map_get_next_key(fd: int, key: bytes | None, key_size: int) -> bytes | None:
    """BPF_MAP_GET_NEXT_KEY; ``None`` when the kernel answers ENOENT (the end, or an empty map).

    The kernel restarts from the first key when *key* is not in the map (docs/kernel-notes.md#get-next-key).
    """
    next_key = ctypes.create_string_buffer(key_size)
    attr = uapi.MapElemAttr(
        map_fd=fd,
        key=key,
        value=ctypes.addressof(next_key),
    )
    try:
        bpf(uapi.BPF_MAP_GET_NEXT_KEY, attr)
    except RawBpfError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return next_key.raw


def map_freeze(fd: int) -> None:
    """BPF_MAP_FREEZE: no more writes from user space, for good."""
    bpf(uapi.BPF_MAP_FREEZE, uapi.MapElemAttr(map_fd=fd))


def obj_pin(fd: int, path: bytes) -> None:
    """BPF_OBJ_PIN: pin the object behind *fd* at *path* on a bpf filesystem."""
    attr = uapi.ObjPinAttr(pathname=path, bpf_fd=fd)
    bpf(uapi.BPF_OBJ_PIN, attr)


def obj_get(path: bytes, file_flags: int) -> int:
    """BPF_OBJ_GET: open a pinned object; *file_flags* is 0, BPF_F_RDONLY or BPF_F_WRONLY."""
    attr = uapi.ObjPinAttr(pathname=path, file_flags=file_flags)
    return bpf(uapi.BPF_OBJ_GET, attr)


def _next_id(cmd: int, start_id: int) -> int | None:
    attr = uapi.GetIdAttr(start_id=start_id)
    try:
        bpf(cmd, attr)
    except RawBpfError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return int(attr.next_id)


def map_get_next_id(start_id: int) -> int | None:
    """BPF_MAP_GET_NEXT_ID; ``None`` past the last map."""
    return _next_id(uapi.BPF_MAP_GET_NEXT_ID, start_id)


def map_get_fd_by_id(map_id: int, open_flags: int) -> int:
    """BPF_MAP_GET_FD_BY_ID; *open_flags* is 0, BPF_F_RDONLY or BPF_F_WRONLY."""
    return bpf(uapi.BPF_MAP_GET_FD_BY_ID, uapi.GetIdAttr(start_id=map_id, open_flags=open_flags))


def prog_attach(target_fd: int, prog_fd: int, attach_type: int, flags: int = 0) -> None:
    """BPF_PROG_ATTACH of a program to a cgroup (*target_fd*) at *attach_type*."""
    bpf(uapi.BPF_PROG_ATTACH, uapi.ProgAttachAttr(target_fd, prog_fd, attach_type, flags))


def prog_detach(target_fd: int, prog_fd: int, attach_type: int) -> None:
    """BPF_PROG_DETACH of that program from the cgroup."""
    bpf(uapi.BPF_PROG_DETACH, uapi.ProgAttachAttr(target_fd, prog_fd, attach_type, 0))


def prog_get_fd_by_id(prog_id: int) -> int:
    """BPF_PROG_GET_FD_BY_ID: an fd of the program with that id."""
    return bpf(uapi.BPF_PROG_GET_FD_BY_ID, uapi.GetIdAttr(start_id=prog_id))


def prog_get_info(fd: int) -> tuple[int, int, str]:
    """BPF_OBJ_GET_INFO_BY_FD for a program: its type, id and name."""
    info = ctypes.create_string_buffer(uapi.PROG_INFO_SIZE)
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=uapi.PROG_INFO_SIZE, info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)
    data = info.raw
    prog_type, prog_id = struct.unpack_from("=II", data, uapi.PROG_INFO_TYPE)
    name = data[uapi.PROG_INFO_NAME : uapi.PROG_INFO_NAME + 16].split(b"\0", 1)[0].decode(errors="replace")
    return prog_type, prog_id, name


def link_create(prog_fd: int, target: int, attach_type: int, flags: int = 0) -> int:
    """BPF_LINK_CREATE: a link of the program to *target* (an fd, or an interface index) at *attach_type*."""
    attr = uapi.LinkCreateAttr(prog_fd, target, attach_type, flags)
    return bpf(uapi.BPF_LINK_CREATE, attr)


def raw_tracepoint_open(prog_fd: int, name: bytes | None) -> int:
    """BPF_RAW_TRACEPOINT_OPEN: a raw tracepoint program on tracepoint *name*, or a tracing program
    (fentry, fexit, tp_btf...) on the target it was loaded for (*name* ``None``); a link fd."""
    return bpf(uapi.BPF_RAW_TRACEPOINT_OPEN, uapi.RawTracepointAttr(name=name, prog_fd=prog_fd))


def link_detach(fd: int) -> None:
    """BPF_LINK_DETACH: end what the link attached, though fds of it stay open."""
    bpf(uapi.BPF_LINK_DETACH, uapi.LinkDetachAttr(fd))


def link_get_info(fd: int) -> tuple[int, int, int]:
    """BPF_OBJ_GET_INFO_BY_FD for a link: its type, id and program's id."""
    info = ctypes.create_string_buffer(uapi.LINK_INFO_SIZE)
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=uapi.LINK_INFO_SIZE, info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)
    link_type, link_id, prog_id = struct.unpack_from("=III", info.raw)
    return link_type, link_id, prog_id


def prog_get_next_id(start_id: int) -> int | None:
    """BPF_PROG_GET_NEXT_ID; ``None`` past the last program."""
    return _next_id(uapi.BPF_PROG_GET_NEXT_ID, start_id)


def prog_maps_and_btf(fd: int) -> tuple[list[int], int]:
    """The ids of the maps a program uses, and the id of its BTF (0: none), from BPF_OBJ_GET_INFO_BY_FD."""
    ids = (ctypes.c_uint32 * 64)()
    info = ctypes.create_string_buffer(uapi.PROG_INFO_SIZE)
    struct.pack_into("=IQ", info, uapi.PROG_INFO_NR_MAP_IDS, len(ids), ctypes.addressof(ids))
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=uapi.PROG_INFO_SIZE, info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)
    (count,) = struct.unpack_from("=I", info.raw, uapi.PROG_INFO_NR_MAP_IDS)  # the kernel's count: may exceed 64
    (btf_id,) = struct.unpack_from("=I", info.raw, uapi.PROG_INFO_BTF_ID)
    return list(ids[: min(count, len(ids))]), btf_id


def map_get_info(fd: int) -> uapi.BpfMapInfo:
    """BPF_OBJ_GET_INFO_BY_FD for a map; fields the running kernel lacks stay zero."""
    info = uapi.BpfMapInfo()
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)
    return info


def map_update_batch(
    fd: int, keys: bytes, values: bytes, count: int, elem_flags: int, *, key_offset: int = 0, value_offset: int = 0
) -> int:
    """BPF_MAP_UPDATE_BATCH of *count* packed keys and values, starting at the given byte offsets.

    Returns how many were written. On failure the ``RawBpfError`` carries ``count``: what the
    kernel wrote back into the attr (``batch_applied`` says what it means).
    """
    assert key_offset <= len(keys)
    assert value_offset <= len(values)
    attr = uapi.MapBatchAttr(
        keys=_address(keys) + key_offset,
        values=_address(values) + value_offset,
        count=count,
        map_fd=fd,
        elem_flags=elem_flags,
    )
    _batch_call(uapi.BPF_MAP_UPDATE_BATCH, attr)
    return int(attr.count)


def map_delete_batch(fd: int, keys: bytes, count: int, *, key_offset: int = 0) -> int:
    """BPF_MAP_DELETE_BATCH of *count* packed keys from a byte offset; returns how many were deleted.

    Failures carry ``count`` as for ``map_update_batch``.
    """
    assert key_offset <= len(keys)
    attr = uapi.MapBatchAttr(keys=_address(keys) + key_offset, count=count, map_fd=fd)
    _batch_call(uapi.BPF_MAP_DELETE_BATCH, attr)
    return int(attr.count)


class BatchBuffers:
    """Output buffers for one LOOKUP(_AND_DELETE)_BATCH call: always full-size, with a valid cursor.

    The kernel deletes before it copies out, so short buffers or a missing out_batch lose data
    (docs/kernel-notes.md#batch-reads); these are sized for ``capacity`` elements and the cursor for the
    largest token any map type writes (a u32 bucket or a key).
    """

    __slots__ = ("capacity", "cursor", "key_size", "keys", "value_size", "values")

    def __init__(self, key_size: int, value_size: int, capacity: int) -> None:
        self.key_size = key_size
        self.value_size = value_size
        self.capacity = capacity
        self.keys = ctypes.create_string_buffer(key_size * capacity)
        self.values = ctypes.create_string_buffer(value_size * capacity)
        self.cursor = ctypes.create_string_buffer(max(8, key_size))


def map_lookup_batch(
    fd: int, buffers: BatchBuffers, resume: bool, delete: bool = False, elem_flags: int = 0
) -> tuple[int, bool]:
    """BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) into *buffers*; returns (count, at_end).

    *resume* continues from the cursor the previous call left in ``buffers.cursor``; otherwise the
    walk starts at the beginning. ENOENT (the end) comes back as ``at_end`` with the count the
    kernel returned alongside it. Other failures raise ``RawBpfError`` with ``count``; ENOSPC
    means the next bucket does not fit ``buffers.capacity``.
    """
    cursor = ctypes.addressof(buffers.cursor)
    attr = uapi.MapBatchAttr(
        in_batch=cursor if resume else 0,
        out_batch=cursor,
        keys=ctypes.addressof(buffers.keys),
        values=ctypes.addressof(buffers.values),
        count=buffers.capacity,
        map_fd=fd,
        elem_flags=elem_flags,
    )
    cmd = uapi.BPF_MAP_LOOKUP_AND_DELETE_BATCH if delete else uapi.BPF_MAP_LOOKUP_BATCH
    try:
        _batch_call(cmd, attr)
    except RawBpfError as exc:
        if exc.errno == errno.ENOENT:
            return int(attr.count), True
        raise
    return int(attr.count), False


def map_batch_probe(fd: int, cmd: int) -> None:
    """Issue a batch command with count=0 on a map: a no-op that tells whether the command exists.

    Raises ``RawBpfError``: EINVAL (no batch commands: Linux < 5.6), 524 (the map type lacks the
    op), EPERM (inconclusive: frozen map or a read-/write-only fd).
    """
    cursor = ctypes.create_string_buffer(8)
    attr = uapi.MapBatchAttr(out_batch=ctypes.addressof(cursor), count=0, map_fd=fd)
    bpf(cmd, attr)


def _batch_call(cmd: int, attr: uapi.MapBatchAttr) -> None:
    try:
        bpf(cmd, attr)
    except RawBpfError as exc:
        exc.count = int(attr.count)
        raise


def batch_applied(requested: int, reported: int) -> int:
    """How many elements a failed UPDATE/DELETE_BATCH applied, from the count the kernel wrote back.

    The kernel zeroes ``count`` before the first element and sets it to the index of the failing
    one; a call refused up front (flags, permissions, a missing op) leaves the requested count in
    place. So a reported count below the request is the truth, and one equal to it means nothing
    was applied (docs/kernel-notes.md#update-batch-partial).
    """
    return reported if reported < requested else 0


def prog_load(
    prog_type: int,
    insns: bytes,
    license: bytes,
    name: bytes,
    log_size: int,
    expected_attach_type: int = 0,
    btf: tuple[int, bytes, bytes] | None = None,
    attach_btf_id: int = 0,
    prog_flags: int = 0,
) -> tuple[int, str]:
    """BPF_PROG_LOAD; returns the program fd and the verifier's log (``log_size`` 0: no log).
    *btf*: the fd of the program's BTF and its ``bpf_func_info`` and ``bpf_line_info`` records;
    *attach_btf_id*: the kernel function or tracepoint (its id in vmlinux's BTF) a tracing program is for.

    On failure the ``RawBpfError`` carries the log as ``log``.
    """
    log = ctypes.create_string_buffer(log_size) if log_size else None
    attr = uapi.ProgLoadAttr(
        prog_type=prog_type,
        insn_cnt=len(insns) // 8,
        insns=insns,
        license=license,
        log_level=1 if log_size else 0,
        log_size=log_size,
        log_buf=ctypes.addressof(log) if log is not None else None,
        prog_name=name,
        expected_attach_type=expected_attach_type,
        attach_btf_id=attach_btf_id,
        prog_flags=prog_flags,
    )
    if btf is not None:
        attr.prog_btf_fd, funcs, lines = btf
        attr.func_info_rec_size, attr.func_info, attr.func_info_cnt = 8, funcs, len(funcs) // 8
        attr.line_info_rec_size, attr.line_info, attr.line_info_cnt = 16, lines, len(lines) // 16
    text = ""
    try:
        fd = bpf(uapi.BPF_PROG_LOAD, attr)
    except RawBpfError as exc:
        exc.log = log.value.decode("utf-8", "replace") if log is not None else ""
        raise
    if log is not None:
        text = log.value.decode("utf-8", "replace")
    return fd, text


def prog_test_run(fd: int, data: bytes, out_size: int, repeat: int) -> tuple[int, bytes, int]:
    """BPF_PROG_TEST_RUN of a program on one packet; returns (return value, packet out, ns per run)."""
    out = ctypes.create_string_buffer(out_size)
    attr = uapi.ProgTestRunAttr(
        prog_fd=fd,
        data_size_in=len(data),
        data_size_out=out_size,
        data_in=data,
        data_out=ctypes.addressof(out),
        repeat=repeat,
    )
    bpf(uapi.BPF_PROG_TEST_RUN, attr)
    return int(attr.retval), out.raw[: attr.data_size_out], int(attr.duration)


def prog_test_run_context(fd: int, context: bytes) -> int:
    """BPF_PROG_TEST_RUN of a program that takes a context and no packet (a raw tracepoint's
    arguments, Linux 5.10+); returns its return value."""
    attr = uapi.ProgTestRunAttr(prog_fd=fd, ctx_size_in=len(context), ctx_in=context or None)
    bpf(uapi.BPF_PROG_TEST_RUN, attr)
    return int(attr.retval)


def btf_load(data: bytes, log_size: int = 1 << 16) -> int:
    """BPF_BTF_LOAD of raw BTF; returns its fd. Failures carry the kernel's log as ``log``."""
    log = ctypes.create_string_buffer(log_size)
    attr = uapi.BtfLoadAttr(
        btf=data, btf_log_buf=ctypes.addressof(log), btf_size=len(data), btf_log_size=log_size, btf_log_level=1
    )
    try:
        return bpf(uapi.BPF_BTF_LOAD, attr)
    except RawBpfError as exc:
        exc.log = log.value.decode("utf-8", "replace")
        raise


def btf_get_fd_by_id(btf_id: int) -> int:
    """BPF_BTF_GET_FD_BY_ID."""
    return bpf(uapi.BPF_BTF_GET_FD_BY_ID, uapi.GetIdAttr(start_id=btf_id))


def btf_get_data(fd: int) -> bytes:
    """The raw BTF (header, types, strings) of a BTF object, by BPF_OBJ_GET_INFO_BY_FD."""
    info = uapi.BpfBtfInfo()
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)  # first: how big it is
    data = ctypes.create_string_buffer(info.btf_size)
    size = info.btf_size
    info = uapi.BpfBtfInfo(btf=ctypes.addressof(data), btf_size=size)
    attr = uapi.InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    bpf(uapi.BPF_OBJ_GET_INFO_BY_FD, attr)
    return data.raw[:size]
