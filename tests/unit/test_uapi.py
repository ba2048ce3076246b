"""The ctypes mirror of bpf.h matches the C compiler's view of the system's uapi header."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from pybpfmaps._sys import uapi

# (ctypes struct, C expression prefix for offsetof, fields to compare)
MIRRORS = [
    (uapi.MapCreateAttr, "union bpf_attr", ""),
    (uapi.MapElemAttr, "union bpf_attr", ""),
    (uapi.MapBatchAttr, "union bpf_attr", "batch."),
    (uapi.ObjPinAttr, "union bpf_attr", ""),
    (uapi.GetIdAttr, "union bpf_attr", ""),
    (uapi.InfoAttr, "union bpf_attr", "info."),
    (uapi.BpfMapInfo, "struct bpf_map_info", ""),
    (uapi.ProgLoadAttr, "union bpf_attr", ""),
    (uapi.ProgTestRunAttr, "union bpf_attr", "test."),
    (uapi.BtfLoadAttr, "union bpf_attr", ""),
    (uapi.BpfBtfInfo, "struct bpf_btf_info", ""),
    (uapi.ProgAttachAttr, "union bpf_attr", ""),
    (uapi.LinkCreateAttr, "union bpf_attr", "link_create."),
    (uapi.RawTracepointAttr, "union bpf_attr", "raw_tracepoint."),
    (uapi.LinkDetachAttr, "union bpf_attr", "link_detach."),
]
# Fields newer than the 6.1 header on these machines, and the elem union member we name "_pad0".
NOT_IN_OLD_HEADERS = {"btf_vmlinux_id", "hash", "hash_size", "_pad0"}


def _field_offsets() -> dict[str, int]:
    ours = {
        "offsetof(struct bpf_prog_info, type)": uapi.PROG_INFO_TYPE,
        "offsetof(struct bpf_prog_info, id)": uapi.PROG_INFO_ID,
        "offsetof(struct bpf_prog_info, name)": uapi.PROG_INFO_NAME,
    }
    for name in ("BPF_PROG_ATTACH", "BPF_PROG_DETACH", "BPF_PROG_GET_FD_BY_ID", "BPF_PROG_TYPE_CGROUP_SKB",
                 "BPF_PROG_TYPE_SK_SKB", "BPF_PROG_TYPE_RAW_TRACEPOINT", "BPF_CGROUP_INET_INGRESS",
                 "BPF_CGROUP_INET_EGRESS", "BPF_SK_SKB_STREAM_PARSER", "BPF_SK_SKB_STREAM_VERDICT",
                 "BPF_SK_MSG_VERDICT", "BPF_SK_SKB_VERDICT", "BPF_XDP_DEVMAP", "BPF_XDP_CPUMAP",
                 "BPF_F_STACK_BUILD_ID"):  # fmt: skip
        ours[f"(size_t){name}"] = getattr(uapi, name)
    for struct, c_type, prefix in MIRRORS:
        for name, *_ in struct._fields_:
            if name not in NOT_IN_OLD_HEADERS:
                ours[f"offsetof({c_type}, {prefix}{name})"] = getattr(struct, name).offset
    return ours


@pytest.fixture(scope="module")
def c_offsets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not Path("/usr/include/linux/bpf.h").exists():
        pytest.fail("these tests need a C compiler and linux/bpf.h (Debian: gcc linux-libc-dev)")
    expressions = list(_field_offsets())
    body = "".join(f'    printf("%zu\\n", {expr});\n' for expr in expressions)
    source = tmp_path_factory.mktemp("uapi") / "offsets.c"
    source.write_text(f"#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\nint main(void) {{\n{body}}}\n")
    binary = source.with_suffix("")
    subprocess.run([compiler, "-o", str(binary), str(source)], check=True)
    output = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout.split()
    return dict(zip(expressions, map(int, output), strict=True))


def test_every_field_offset_matches_the_c_header(c_offsets: dict[str, int]) -> None:
    assert _field_offsets() == c_offsets


def test_struct_sizes_are_the_prefixes_the_kernel_expects() -> None:
    # offsetofend of the last field each command uses (docs/kernel-notes.md#attr-layouts)
    assert ctypes.sizeof(uapi.MapCreateAttr) == 72
    assert ctypes.sizeof(uapi.MapElemAttr) == 32
    assert ctypes.sizeof(uapi.MapBatchAttr) == 56
    assert ctypes.sizeof(uapi.ObjPinAttr) == 16
    assert ctypes.sizeof(uapi.GetIdAttr) == 12
    assert ctypes.sizeof(uapi.InfoAttr) == 16
    assert ctypes.sizeof(uapi.BpfMapInfo) == 104


def test_command_names_cover_every_command() -> None:
    commands = {name: value for name, value in vars(uapi).items() if name.startswith(("BPF_MAP_", "BPF_OBJ_"))}
    commands = {n: v for n, v in commands.items() if not n.startswith("BPF_MAP_TYPE_") and n != "BPF_OBJ_NAME_LEN"}
    commands.update({n: v for n, v in vars(uapi).items() if n.startswith(("BPF_PROG_", "BPF_BTF_", "BPF_LINK_"))})
    commands["BPF_RAW_TRACEPOINT_OPEN"] = uapi.BPF_RAW_TRACEPOINT_OPEN
    commands = {n: v for n, v in commands.items() if not n.startswith("BPF_PROG_TYPE_")}
    assert {v: n for n, v in commands.items()} == uapi.COMMAND_NAMES
