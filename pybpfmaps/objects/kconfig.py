"""Values for ``extern ... __kconfig`` variables, from the running kernel: ``LINUX_KERNEL_VERSION``
and ``CONFIG_*`` options (``/proc/config.gz`` or ``/boot/config-$(uname -r)``), as libbpf gives them:
``y``/``m``/``n`` as 1/2/0 for tristate and bool options, numbers as numbers, strings as strings."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from pybpfmaps.errors import BpfArgumentError


def kernel_version(release: str | None = None) -> int:
    """``KERNEL_VERSION(a, b, c)`` of the running kernel (the patch level capped at 255, as libbpf does)."""
    release = release or os.uname().release
    parts = [int("".join(ch for ch in part if ch.isdigit()) or 0) for part in release.split("-")[0].split(".")[:3]]
    major, minor, patch = ([*parts, 0, 0, 0])[:3]
    return (major << 16) + (minor << 8) + min(patch, 255)


def config(paths: tuple[Path, ...] | None = None) -> dict[str, str]:
    """The kernel's build options, ``{"CONFIG_BPF": "y", ...}``; empty if no config can be read."""
    candidates = paths or (Path("/proc/config.gz"), Path(f"/boot/config-{os.uname().release}"))
    for path in candidates:
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        except OSError:
            continue
        options: dict[str, str] = {}
        for line in raw.decode(errors="replace").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.startswith("CONFIG_"):
                options[name] = value
        return options
    return {}


def value(name: str, size: int, weak: bool, options: dict[str, str]) -> bytes:
    """The bytes of extern *name* (*size* bytes); a missing one is 0 when ``__weak``, else an error."""
    if name == "LINUX_KERNEL_VERSION":
        return kernel_version().to_bytes(size, "little")
    text = options.get(name)
    if text is None:
        if weak:
            return bytes(size)
        raise BpfArgumentError(f"the running kernel's config has no {name} (declare the extern __weak to allow it)")
    if text in ("y", "m", "n"):
        return {"y": 1, "m": 2, "n": 0}[text].to_bytes(size, "little")
    if text.startswith('"'):
        data = text.strip('"').encode()[: size - 1]
        return data + bytes(size - len(data))
    number = int(text, 0)
    return number.to_bytes(size, "little", signed=number < 0)
