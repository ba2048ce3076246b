"""The errno table of ``errors.from_raw`` and the shape of the exception tree."""

from __future__ import annotations

import errno
import pickle

import pytest

import pybpfmaps
from pybpfmaps._sys import uapi
from pybpfmaps._sys.syscall import RawBpfError
from pybpfmaps.errors import from_raw

LABEL = "hash map 'flows' (id 42)"


@pytest.mark.parametrize(
    ("err", "cmd", "expected", "builtin"),
    [
        (errno.ENOENT, uapi.BPF_MAP_LOOKUP_ELEM, pybpfmaps.KeyNotFoundError, KeyError),
        (errno.ENOENT, uapi.BPF_MAP_DELETE_ELEM, pybpfmaps.KeyNotFoundError, KeyError),
        (errno.ENOENT, uapi.BPF_MAP_UPDATE_ELEM, pybpfmaps.KeyNotFoundError, KeyError),
        (errno.ENOENT, uapi.BPF_OBJ_GET, pybpfmaps.MapNotFoundError, FileNotFoundError),
        (errno.ENOENT, uapi.BPF_MAP_GET_FD_BY_ID, pybpfmaps.MapNotFoundError, FileNotFoundError),
        (errno.EEXIST, uapi.BPF_MAP_UPDATE_ELEM, pybpfmaps.KeyExistsError, OSError),
        (errno.E2BIG, uapi.BPF_MAP_UPDATE_ELEM, pybpfmaps.MapFullError, OSError),
        (errno.E2BIG, uapi.BPF_MAP_UPDATE_BATCH, pybpfmaps.MapFullError, OSError),
        (errno.EPERM, uapi.BPF_MAP_CREATE, pybpfmaps.BpfPermissionError, PermissionError),
        (errno.EACCES, uapi.BPF_MAP_LOOKUP_ELEM, pybpfmaps.BpfPermissionError, PermissionError),
        (uapi.ENOTSUPP, uapi.BPF_MAP_LOOKUP_AND_DELETE_ELEM, pybpfmaps.NotSupportedError, OSError),
        (errno.EOPNOTSUPP, uapi.BPF_MAP_CREATE, pybpfmaps.NotSupportedError, OSError),
        (errno.EINVAL, uapi.BPF_MAP_CREATE, pybpfmaps.BpfSyscallError, OSError),
        (errno.E2BIG, uapi.BPF_MAP_CREATE, pybpfmaps.BpfSyscallError, OSError),
        (errno.ENOENT, uapi.BPF_OBJ_PIN, pybpfmaps.BpfSyscallError, OSError),
    ],
)
def test_errno_table(err: int, cmd: int, expected: type[Exception], builtin: type[Exception]) -> None:
    error = from_raw(RawBpfError(err, cmd), map_label=LABEL, key="5")
    assert type(error) is expected
    assert isinstance(error, builtin)
    assert isinstance(error, pybpfmaps.BpfError)
    assert isinstance(error, OSError)
    assert error.errno == err
    text = str(error)
    assert text.startswith(f"[Errno {err}] {uapi.COMMAND_NAMES[cmd]} on {LABEL}: ")


def test_map_full_says_map_full_never_argument_list_too_long() -> None:
    text = str(from_raw(RawBpfError(errno.E2BIG, uapi.BPF_MAP_UPDATE_ELEM), map_label=LABEL, key="7"))
    assert "map full" in text
    assert "argument list" not in text.lower()
    assert text.endswith(": 7")


def test_permission_error_hints_at_privileges() -> None:
    text = str(from_raw(RawBpfError(errno.EPERM, uapi.BPF_MAP_CREATE), map_label=None))
    assert "root or CAP_BPF" in text


def test_key_not_found_is_a_key_error_that_dict_idioms_catch() -> None:
    error = from_raw(RawBpfError(errno.ENOENT, uapi.BPF_MAP_LOOKUP_ELEM), map_label=LABEL, key="5")
    with pytest.raises(KeyError):
        raise error
    assert str(error) == f"[Errno 2] BPF_MAP_LOOKUP_ELEM on {LABEL}: key not found: 5"


@pytest.mark.parametrize(
    "error",
    [
        pybpfmaps.KeyNotFoundError(2, "key not found: 5", command="BPF_MAP_LOOKUP_ELEM", map_label=LABEL),
        pybpfmaps.NotSupportedError(524, "not supported", command="BPF_MAP_LOOKUP_BATCH", map_label=LABEL),
    ],
)
def test_errors_survive_pickling(error: pybpfmaps.BpfError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)


def test_tree() -> None:
    assert issubclass(pybpfmaps.CodecError, ValueError)
    assert issubclass(pybpfmaps.CodecTypeError, TypeError)
    assert issubclass(pybpfmaps.CodecTypeError, pybpfmaps.CodecError)
    assert issubclass(pybpfmaps.ArrayIndexError, IndexError)
    assert issubclass(pybpfmaps.ArrayIndexError, KeyError)
    assert issubclass(pybpfmaps.ClosedMapError, ValueError)
    assert issubclass(pybpfmaps.IterationAbortedError, RuntimeError)
    for name in pybpfmaps.__all__:
        obj = getattr(pybpfmaps, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, pybpfmaps.BpfError), name


def test_docs_draw_the_same_tree_as_the_module() -> None:
    from pathlib import Path

    from pybpfmaps import errors

    assert errors.__doc__ is not None
    tree = errors.__doc__.split("The tree::")[1].split("Messages name")[0].strip("\n")
    docs = (Path(__file__).parents[2] / "docs" / "errors.md").read_text()
    assert tree in docs
