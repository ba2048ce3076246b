"""Run the whole suite against pybpfmaps installed from its wheel, not against this source tree.

``python tests/support/run_installed.py DIST`` makes a fresh venv under build/, installs the wheel found
in DIST with its test extras (not editable), copies what the tests need (tests, docs,
examples, bench, conftest.py, README.md, pyproject.toml for pytest's settings) to a directory
without the package's sources, and runs pytest there with PYBPFMAPS_EXPECT_INSTALLED=1, so that
an import that would have found the source tree fails instead. A module left out of the wheel,
a missing ``py.typed`` or a data file not shipped fails the run. Extra arguments go to pytest.

Before that, in a git checkout, it checks that the wheel holds every file git tracks under
pybpfmaps/ and that the sdist holds every tracked file (it builds and tests the whole project).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[2]
BUILD = ROOT / "build"
NEEDED = ["tests", "docs", "examples", "bench", "conftest.py", "README.md", "pyproject.toml", "Makefile"]


def tracked() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return {name for name in listed.decode().split("\0") if name}


def check_contents(wheel: Path, sdist: Path) -> list[str]:
    """What git tracks but the wheel or the sdist leaves out."""
    if not (ROOT / ".git").exists():
        return []
    files = tracked()
    package = {name for name in files if name.startswith("pybpfmaps/")}
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    problems = [f"{wheel.name} lacks {name}" for name in sorted(package - in_wheel)]
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    problems += [f"{sdist.name} lacks {name}" for name in sorted(files - in_sdist)]
    return problems


def main(argv: list[str]) -> int:
    dist, pytest_args = Path(argv[0]), argv[1:]
    [wheel] = sorted(dist.glob("pybpfmaps-*.whl"))
    [sdist] = sorted(dist.glob("pybpfmaps-*.tar.gz"))
    if problems := check_contents(wheel, sdist):
        print("\n".join(problems), file=sys.stderr)
        return 1
    env_dir, stage = BUILD / "installed-venv", BUILD / "installed-tests"
    for old in (env_dir, stage):
        shutil.rmtree(old, ignore_errors=True)
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, f"{wheel.resolve()}[test]"], check=True)
    stage.mkdir(parents=True)
    for name in NEEDED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, stage / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, stage / name)
    env = {**os.environ, "PYBPFMAPS_EXPECT_INSTALLED": "1"}
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "tests", "docs", "README.md",
               "--pyargs", "pybpfmaps", *pytest_args]  # fmt: skip
    print(f"running the suite against {wheel.name}, installed in {env_dir}", flush=True)
    return subprocess.run(command, cwd=stage, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
