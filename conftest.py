"""Pytest set-up shared by the tests, the docs' examples and the docstrings: the kernel gate.

Everything marked ``kernel`` (the kernel tests and every doctest) needs bpf(2). Without it those
items are skipped with the exact reason, unless PYBPFMAPS_REQUIRE_KERNEL=1 (as ``make test`` and
CI set), which turns that skip into a failure so that a CI machine without bpf(2) cannot pass.
"""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

from pybpfmaps._sys import commands
from pybpfmaps._sys.syscall import RawBpfError

REQUIRE_KERNEL = os.environ.get("PYBPFMAPS_REQUIRE_KERNEL") == "1"
EMULATE_NO_BATCH = os.environ.get("PYBPFMAPS_EMULATE_NO_BATCH", "")
"""EINVAL: run as on a kernel without batch commands (< 5.6); ENOTSUPP: as for map types without
batch ops. Set by tests/kernel/test_emulated_kernels.py for the child pytest it starts."""


EXPECT_INSTALLED = os.environ.get("PYBPFMAPS_EXPECT_INSTALLED") == "1"
"""Set by tests/support/run_installed.py: the suite must import pybpfmaps from an installed wheel."""


def pytest_configure(config: pytest.Config) -> None:
    if EXPECT_INSTALLED:
        import pybpfmaps  # noqa: PLC0415

        if "site-packages" not in Path(pybpfmaps.__file__).parts:
            raise pytest.UsageError(f"PYBPFMAPS_EXPECT_INSTALLED=1 but pybpfmaps comes from {pybpfmaps.__file__}")
    if EMULATE_NO_BATCH:
        from tests.support import seccomp  # noqa: PLC0415 - only an emulating child process needs it

        seccomp.install({"EINVAL": errno.EINVAL, "ENOTSUPP": 524}[EMULATE_NO_BATCH])


@functools.cache
def kernel_unavailable_reason() -> str | None:
    """Why bpf(2) cannot be used here, or None if a hash map can be created."""
    try:
        fd = commands.map_create(1, 4, 4, 1, 0, b"probe")
    except RawBpfError as exc:
        why = {errno.EPERM: "not root / no CAP_BPF", errno.ENOSYS: "no bpf(2) on this system"}
        return f"bpf(2) map creation failed: {exc} ({why.get(exc.errno or 0, 'unexpected')})"
    os.close(fd)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = kernel_unavailable_reason()
    unstated = [item.nodeid for item in items if in_kernel_suite(item) and not item.get_closest_marker("needs_kernel")]
    if unstated:
        raise pytest.UsageError(
            "every kernel test states the kernel it needs "
            '(pytestmark = pytest.mark.needs_kernel("5.6", "batch commands")); these do not: ' + ", ".join(unstated)
        )
    for item in items:
        if isinstance(item, DoctestItem) or in_kernel_suite(item):
            item.add_marker(pytest.mark.kernel)
        if reason and not REQUIRE_KERNEL and item.get_closest_marker("kernel"):
            item.add_marker(pytest.mark.skip(reason=reason))


def in_kernel_suite(item: pytest.Item) -> bool:
    """Whether *item* is one of the tests of tests/kernel (not a doctest)."""
    return not isinstance(item, DoctestItem) and "/tests/kernel/" in str(item.path)


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = kernel_unavailable_reason()
    if reason and REQUIRE_KERNEL and item.get_closest_marker("kernel"):
        pytest.fail(f"PYBPFMAPS_REQUIRE_KERNEL=1 but {reason}", pytrace=False)
    for mark in item.iter_markers("needs_kernel"):
        needed, why = mark.args
        if running_kernel() < version(needed):
            pytest.skip(f"needs Linux {needed} ({why}); this kernel is {os.uname().release}")


def version(text: str) -> tuple[int, int]:
    """(major, minor) of a kernel version such as ``"6.1.0-57-amd64"`` or ``"6.9"``."""
    major, minor = text.split("-", maxsplit=1)[0].split(".")[:2]
    return int(major), int(minor)


def running_kernel() -> tuple[int, int]:
    """The running kernel's (major, minor): tests that need a newer one are skipped (the guest kernels
    of ``make test-kernel``); on the kernel ``make test`` runs on, none is."""
    return version(os.uname().release)
