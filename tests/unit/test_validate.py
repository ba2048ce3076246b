"""Argument checks that run before any syscall."""

from __future__ import annotations

import pytest

from pybpfmaps import BpfArgumentError, MapFlags, UpdateFlags
from pybpfmaps.maps import _validate


@pytest.mark.parametrize("name", ["", "a", "a.b_c9", "x" * 15, "flows_v4.0"])
def test_valid_map_names(name: str) -> None:
    assert _validate.map_name(name) == name.encode()


@pytest.mark.parametrize("name", ["x" * 16, "bad-name", "sp ace", "a/b", "a:b", "caf\u00e9", 5, None])
def test_invalid_map_names(name: object) -> None:
    with pytest.raises(BpfArgumentError, match="invalid map name"):
        _validate.map_name(name)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, 2**32, 1.5, True, "10"])
def test_invalid_max_entries(value: object) -> None:
    with pytest.raises(BpfArgumentError, match="max_entries"):
        _validate.max_entries(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "flags",
    [UpdateFlags.ANY, UpdateFlags.NOEXIST, UpdateFlags.EXIST, UpdateFlags.LOCK | UpdateFlags.EXIST, 0, 1, 2, 4],
)
def test_valid_update_flags(flags: int) -> None:
    assert _validate.update_flags(flags) == int(flags)


@pytest.mark.parametrize("flags", [3, 8, 1 << 40, -1, UpdateFlags.NOEXIST | UpdateFlags.EXIST, "1", 1.0])
def test_invalid_update_flags(flags: object) -> None:
    with pytest.raises(BpfArgumentError):
        _validate.update_flags(flags)  # type: ignore[arg-type]


def test_create_flags_name_what_is_wrong() -> None:
    allowed = MapFlags.NO_PREALLOC | MapFlags.RDONLY | MapFlags.WRONLY
    assert _validate.create_flags(MapFlags.NO_PREALLOC, allowed, "hash") == 1
    with pytest.raises(BpfArgumentError, match=r"hash maps do not take flags .*MMAPABLE"):
        _validate.create_flags(MapFlags.MMAPABLE, allowed, "hash")
    with pytest.raises(BpfArgumentError, match="exclude each other"):
        _validate.create_flags(MapFlags.RDONLY | MapFlags.WRONLY, allowed, "hash")
    with pytest.raises(BpfArgumentError):
        _validate.create_flags(-1, allowed, "hash")


def test_access_flags() -> None:
    assert _validate.access(False, False) == 0
    assert _validate.access(True, False) == MapFlags.RDONLY
    assert _validate.access(False, True) == MapFlags.WRONLY
    with pytest.raises(BpfArgumentError, match="exclude each other"):
        _validate.access(True, True)
