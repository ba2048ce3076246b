"""Run the kernel test suite inside another Linux kernel: a qemu guest booted by virtme-ng (``vng``).

``python tests/support/guest.py KERNEL_IMAGE [PYTEST ARGS...]`` boots the image with this machine's
filesystem shared read-only (writable overlays), runs ``pytest`` on the kernel tests (or the given
arguments) as root with ``PYBPFMAPS_REQUIRE_KERNEL=1``, and exits with pytest's status. Tests that
need a newer kernel than the guest's are skipped there by their ``needs_kernel`` marker. Hardware
KVM is used only where the CPU has it (``vmx``/``svm``); otherwise qemu emulates the CPU, and a
boot takes a minute or two. ``make test-kernel KERNEL=/boot/vmlinuz-...`` installs what this needs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[2]


def hardware_kvm() -> bool:
    """Whether qemu can use KVM here: /dev/kvm exists and the CPU has virtualization extensions."""
    flags = Path("/proc/cpuinfo").read_text().split()
    return Path("/dev/kvm").exists() and ("vmx" in flags or "svm" in flags)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    kernel, pytest_args = Path(argv[0]), argv[1:] or ["tests/kernel"]
    if not kernel.is_file():
        print(f"guest: no kernel image at {kernel}", file=sys.stderr)
        return 2
    vng = shutil.which("vng", path=str(Path(sys.executable).parent)) or shutil.which("vng")
    if vng is None:
        print("guest: virtme-ng's vng is needed: pip install virtme-ng (make test-kernel does)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pbm-guest-") as shared:
        status = Path(shared) / "status"
        pytest = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={shared}/tmp",
            *pytest_args,
        ]
        inside = (
            f"cd {shlex.quote(str(ROOT))} && uname -r && PYBPFMAPS_REQUIRE_KERNEL=1 {shlex.join(pytest)}; "
            f"echo $? > {shlex.quote(str(status))}"
        )
        command = [vng, "-r", str(kernel), f"--rwdir={shared}", "--memory", "2G"]
        if not hardware_kvm():
            command.append("--disable-kvm")
        env = {
            **os.environ,
            "PATH": f"{Path(vng).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }  # vng runs virtme-run
        subprocess.run([*command, "--", inside], check=False, env=env)
        if not status.exists():
            print("guest: the guest did not report pytest's status (it did not boot, or crashed)", file=sys.stderr)
            return 1
        return int(status.read_text().strip() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
