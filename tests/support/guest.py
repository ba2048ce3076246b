"""Run the kernel test suite inside another Linux kernel: a qemu guest booted by virtme-ng (``vng``).

``python tests/support/guest.py KERNEL_IMAGE [PYTEST ARGS...]`` boots the image with this machine's
filesystem shared read-only (writable overlays), runs ``pytest`` on the kernel tests (or the given
arguments) as root with ``PYBPFMAPS_REQUIRE_KERNEL=1``, and exits with pytest's status. KERNEL_IMAGE
may be a glob (``/boot/vmlinuz-6.1.*-amd64``): the newest match is booted.

Tests that need a newer kernel than the guest's are skipped there by their ``needs_kernel`` marker.
Hardware KVM is used only where the CPU has it (``vmx``/``svm``); otherwise qemu emulates the
CPU, and a boot takes a minute or two. ``make test-kernel KERNEL=/boot/vmlinuz-...`` installs what
this needs; ``make test`` runs a subset in Debian 12's Linux 6.1 this way.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).parents[2]
WHOLE_SUITE = ["tests/kernel", "--ignore=tests/kernel/test_emulated_kernels.py"]
"""What runs without pytest arguments: the kernel tests, but for the seccomp emulation of kernels before
5.6, which runs the whole suite twice more and emulates what a real old kernel shows directly."""


def hardware_kvm() -> bool:
    """Whether qemu can use KVM here: /dev/kvm exists and the CPU has virtualization extensions."""
    flags = Path("/proc/cpuinfo").read_text().split()
    return Path("/dev/kvm").exists() and ("vmx" in flags or "svm" in flags)


def newest(pattern: str) -> Path | None:
    """The kernel image *pattern* names, or the newest of those a glob matches (by version)."""
    matches = glob.glob(pattern)

    def by_version(path: str) -> list[int]:
        return [int(part) for part in re.findall(r"\d+", Path(path).name)]

    return Path(max(matches, key=by_version)) if matches else None


BOOT_TIMEOUT = 600.0
"""Seconds a guest may take to print its first line (it takes ~1 min emulated) before it is taken for
hung at boot and stopped."""


def forward(command: list[str], env: dict[str, str], timeout: float) -> str:
    """Run vng, copying what the guest prints to this process's stdout through a pipe.

    Returns ``"done"``, ``"hung at boot"`` (nothing printed within BOOT_TIMEOUT) or ``"timed out"``
    (still running after *timeout* seconds): a guest that hangs must not hang ``make test``.
    qemu opens ``/proc/self/fd/1`` and ``/proc/self/fd/2`` by path, with O_TRUNC: were they
    inherited, a log file that this process's output goes to would lose what came before
    (the host suite's summary, in ``make test > log``).
    """
    outcome = "done"
    printed, finished = threading.Event(), threading.Event()
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # vng, virtme-run and qemu: one process group to stop
    ) as vng:

        def watch() -> None:
            nonlocal outcome
            if not printed.wait(min(BOOT_TIMEOUT, timeout)):
                outcome = "hung at boot"
            elif not finished.wait(timeout):
                outcome = "timed out"
            if outcome != "done" and not finished.is_set():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(vng.pid, signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()
        assert vng.stdout is not None
        pipe = vng.stdout.fileno()
        for chunk in iter(lambda: os.read(pipe, 65536), b""):
            printed.set()
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        vng.wait()
        finished.set()
        printed.set()
    return outcome


def write_script(shared: Path, pytest_args: list[str]) -> Path:
    """Write what the guest runs into *shared*, returning the script's path; it leaves pytest's status in ``status``.

    vng passes its command on the kernel command line, which holds 2048 bytes on x86: a longer one
    (a long checkout path and the subset's arguments do it) stops Linux 6.1 at its first line, with a
    fortify panic. The script's path is all that goes there.
    """
    # the guest sees this machine's files read-only: hypothesis keeps its examples in the shared directory
    env_vars = f"PYBPFMAPS_REQUIRE_KERNEL=1 HYPOTHESIS_STORAGE_DIRECTORY={shlex.quote(str(shared / 'hypothesis'))}"
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--basetemp={shared / 'tmp'}"]
    script = shared / "run.sh"
    script.write_text(
        f"cd {shlex.quote(str(ROOT))} && echo guest kernel: $(uname -r) && "
        f"{env_vars} {shlex.join([*pytest, *pytest_args])}\n"
        f"echo $? > {shlex.quote(str(shared / 'status'))}\n"
    )
    return script


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kernel", help="a kernel image, or a glob of them (the newest is booted)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds before a guest is stopped")
    parser.add_argument("--verbose", action="store_true", help="show the guest kernel's boot messages")
    args, pytest_args = parser.parse_known_args(argv)
    kernel = newest(args.kernel)
    if kernel is None or not kernel.is_file():
        print(f"guest: no kernel image at {args.kernel}", file=sys.stderr)
        return 2
    vng = shutil.which("vng", path=str(Path(sys.executable).parent)) or shutil.which("vng")
    if vng is None:
        print("guest: virtme-ng's vng is needed: pip install virtme-ng (make test-kernel does)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pbm-guest-") as shared:
        script = write_script(Path(shared), pytest_args or WHOLE_SUITE)
        status = Path(shared) / "status"
        command = [vng, "-r", str(kernel), f"--rwdir={shared}", "--memory", "2G", "--cpus", str(os.cpu_count() or 1)]
        if args.verbose:
            command.append("--verbose")
        kvm = hardware_kvm()
        if not kvm:
            command.append("--disable-kvm")
        print(f"guest: booting {kernel} ({'KVM' if kvm else 'emulated CPU'})", flush=True)
        # vng runs virtme-run, from the same bin directory
        env = {**os.environ, "PATH": f"{Path(vng).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        outcome = forward([*command, "--", f"sh {shlex.quote(str(script))}"], env, args.timeout)
        if outcome != "done":
            print(f"guest: {outcome}; stopped (--verbose shows the kernel's boot messages)", file=sys.stderr)
            return 1
        if not status.exists():
            print("guest: the guest did not report pytest's status (it did not boot, or crashed)", file=sys.stderr)
            return 1
        return int(status.read_text().strip() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
