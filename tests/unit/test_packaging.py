"""What a wheel must carry: the type marker, one version, the command, every module importable."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
import pkgutil
import subprocess
import sys

import pybpfmaps


def test_the_package_is_typed() -> None:
    assert importlib.resources.files("pybpfmaps").joinpath("py.typed").is_file()


def test_the_version_lives_in_one_place() -> None:
    assert importlib.metadata.version("pybpfmaps") == pybpfmaps.__version__


def test_the_command_is_installed() -> None:
    [script] = [ep for ep in importlib.metadata.entry_points(group="console_scripts") if ep.name == "pybpfmaps"]
    assert script.value == "pybpfmaps.cli:main"
    assert script.load() is importlib.import_module("pybpfmaps.cli").main


def test_every_module_imports() -> None:
    names = [info.name for info in pkgutil.walk_packages(pybpfmaps.__path__, "pybpfmaps.")]
    assert {
        "pybpfmaps._sys.syscall",
        "pybpfmaps.maps.base",
        "pybpfmaps.btf.to_codec",
        "pybpfmaps.cli.subcommands",
    } <= set(names)
    for name in names:
        if name not in {"pybpfmaps.mypy_plugin", "pybpfmaps.__main__"}:  # loaded by mypy; runs the command
            importlib.import_module(name)


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "pybpfmaps", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"pybpfmaps {pybpfmaps.__version__}\n"
