"""The tests' independent reader: ``bpftool`` (a C program on libbpf) reports what the kernel holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest


def _path() -> str:
    found = shutil.which("bpftool") or next(
        (p for p in ("/usr/sbin/bpftool", "/sbin/bpftool") if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.fail("bpftool is needed as the tests' independent reader: apt-get install bpftool (make test does)")
    return found


def run(*args: str) -> Any:
    """Run ``bpftool -j ARGS`` and return its parsed JSON."""
    result = subprocess.run([_path(), "-j", *args], check=True, capture_output=True, text=True)
    return json.loads(result.stdout) if result.stdout.strip() else None


def text(*args: str) -> str:
    """Run ``bpftool ARGS`` and return what it prints (for the commands whose text is the point: C, xlated code)."""
    return subprocess.run([_path(), *args], check=True, capture_output=True, text=True).stdout


def _bytes(hex_list: list[str]) -> bytes:
    return bytes(int(item, 16) for item in hex_list)


def dump(map_id: int) -> dict[bytes, bytes]:
    """Every key and value of a map, as raw bytes (the empty slots of a sockmap or prog array, which
    bpftool lists with an error, left out)."""
    entries = run("map", "dump", "id", str(map_id))
    return {_bytes(entry["key"]): _bytes(entry["value"]) for entry in entries if isinstance(entry["value"], list)}


def dump_percpu(map_id: int) -> dict[bytes, list[bytes]]:
    """Every key of a per-CPU map with its value on each possible CPU, in CPU order."""
    result = {}
    for entry in run("map", "dump", "id", str(map_id)):
        per_cpu = sorted(entry["values"], key=lambda item: item["cpu"])
        result[_bytes(entry["key"])] = [_bytes(item["value"]) for item in per_cpu]
    return result


def dump_pinned(path: str) -> dict[bytes, bytes]:
    """Every key and value of the map pinned at *path*."""
    return {_bytes(entry["key"]): _bytes(entry["value"]) for entry in run("map", "dump", "pinned", path)}


def show(map_id: int) -> dict[str, Any]:
    """bpftool's description of one map (type, name, sizes, flags, frozen)."""
    result: dict[str, Any] = run("map", "show", "id", str(map_id))
    return result
