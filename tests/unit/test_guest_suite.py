"""The second kernel's subset (tests/kernel/guest-suite.txt) names tests that exist; the guest boots the right image."""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import guest

ROOT = guest.ROOT
SUBSET = ROOT / "tests" / "kernel" / "guest-suite.txt"


def arguments() -> list[str]:
    return [line for line in SUBSET.read_text().splitlines() if line and not line.startswith("#")]


def test_every_line_names_a_test_file_or_a_test_in_one() -> None:
    # a renamed test would otherwise drop out of the guest's run unnoticed (a --deselect of nothing)
    for argument in arguments():
        node = argument.removeprefix("--deselect=")
        path, _, name = node.partition("::")
        assert (ROOT / path).is_file(), argument
        if name:
            tree = ast.parse((ROOT / path).read_text())
            assert name in {each.name for each in tree.body if isinstance(each, ast.FunctionDef)}, argument


def test_the_subset_covers_what_the_second_kernel_must_check() -> None:
    files = {Path(argument.partition("::")[0]).stem for argument in arguments() if not argument.startswith("-")}
    wanted = {"test_update_many", "test_batch_reads", "test_delete_many", "test_btf", "test_made_elsewhere"}
    wanted |= {"test_cli", "test_pins", "test_open", "test_iteration", "test_lru", "test_lpm", "test_hash"}
    wanted |= {"test_array", "test_percpu", "test_queue_stack", "test_buffers", "test_fd_maps", "test_socket_maps"}
    wanted |= {"test_redirect_maps", "test_local_storage", "test_stack_trace"}
    assert wanted <= files


def test_the_newest_image_a_glob_matches_is_booted(tmp_path: Path) -> None:
    for release in ("6.1.0-9-amd64", "6.1.0-57-amd64", "6.1.0-10-amd64"):
        (tmp_path / f"vmlinuz-{release}").touch()
    assert guest.newest(str(tmp_path / "vmlinuz-6.1.*-amd64")) == tmp_path / "vmlinuz-6.1.0-57-amd64"
    assert guest.newest(str(tmp_path / "vmlinuz-6.1.0-9-amd64")) == tmp_path / "vmlinuz-6.1.0-9-amd64"
    assert guest.newest(str(tmp_path / "vmlinuz-5.*")) is None


def test_a_guest_that_prints_nothing_is_taken_for_hung_and_one_that_runs_on_is_stopped(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    env = dict(os.environ)
    assert guest.forward(["sh", "-c", "echo guest kernel: 6.1"], env, timeout=60) == "done"
    assert capsysbinary.readouterr().out == b"guest kernel: 6.1\n"
    monkeypatch.setattr(guest, "BOOT_TIMEOUT", 0.5)
    started = time.monotonic()
    assert guest.forward(["sh", "-c", "sleep 30; echo late"], env, timeout=60) == "hung at boot"
    assert guest.forward(["sh", "-c", "echo booted; sleep 30"], env, timeout=1) == "timed out"
    assert time.monotonic() - started < 25  # both were stopped, neither waited for its sleep
    assert capsysbinary.readouterr().out == b"booted\n"


def test_the_guest_runs_a_script_so_the_kernel_command_line_stays_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vng puts its command on the kernel command line (2048 bytes on x86); the subset's arguments alone exceed it
    shared = tmp_path / ("deep" * 40)
    shared.mkdir()
    monkeypatch.setattr(sys, "executable", "echo")  # stands in for the guest's python: prints what it was given
    script = guest.write_script(shared, arguments())
    assert len(shlex.quote(str(script))) < 300 < len(" ".join(arguments()))
    ran = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True)
    assert ran.stdout.startswith("guest kernel: ")
    assert ran.stdout.rstrip().endswith(" ".join(arguments()))
    assert (shared / "status").read_text() == "0\n"
