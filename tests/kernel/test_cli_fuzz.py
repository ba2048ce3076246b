"""Whatever a user types or feeds ``load``, the command answers in one line and changes nothing it refuses.

Hypothesis drives ``pybpfmaps`` in this process (``cli.main``) with arbitrary text for keys and
values and arbitrary files for ``load`` (JSON lines and CSV: bytes that are not UTF-8, JSON nested
past Python's recursion limit, integers of more digits than Python converts, CSV fields over
csv's limit). Exit codes: 0 done, 1 refused (one line on stderr), 2 bad usage (argparse).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpfmaps import BpfMap, HashMap, field, i32, string, u32
from pybpfmaps.cli import main

pytestmark = pytest.mark.needs_kernel("4.18", "hash maps created with BTF")

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))


@attrs.frozen
class Entry:
    count: int = i32()
    name: str = field(string(6))


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A typed map and an untyped one, pinned: (typed path, untyped path)."""
    import subprocess

    root = tmp_path_factory.mktemp("fuzzfs")
    subprocess.run(["mount", "-t", "bpf", "bpf", str(root)], check=True)
    typed = HashMap.create(key=u32, value=Entry, max_entries=64)
    untyped = HashMap.create(key=u32, value=u32, max_entries=64, btf=False)
    try:
        typed.pin(root / "typed")
        untyped.pin(root / "untyped")
        typed.update_many({1: Entry(1, "one"), 2: Entry(2, "two")})
        untyped[1] = 1
        yield str(root / "typed"), str(root / "untyped")
    finally:
        typed.close()
        untyped.close()
        subprocess.run(["umount", "-l", str(root)], check=False)


def run(*argv: str) -> tuple[int, str]:
    """``pybpfmaps ARGV`` in this process: its exit code and what it wrote on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse's usage errors
            code = int(exit_.code or 0)
    return code, err.getvalue()


def holds(path: str) -> dict[bytes, bytes]:
    with BpfMap.from_pin(path, btf=False) as raw_view:
        return dict(raw_view.items())


def assert_one_line(code: int, err: str) -> None:
    assert "Traceback" not in err
    if code == 1:
        assert err.startswith("pybpfmaps: error: "), err
        assert err.count("\n") == 1, err
    else:
        assert code in (0, 2), (code, err)


typed_text = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A(hex:[0-9a-f]{0,20}|-?\d{1,30}|0x[0-9a-f]{1,10}|[\[{\"][^\n]{0,30})\Z"),
    st.just("9" * 5000),
    st.just("[" * 5000),
    st.builds(lambda n: '{"count": ' + str(n) + ', "name": "x"}', st.integers(-(1 << 40), 1 << 40)),
)


@SETTINGS
@given(command=st.sampled_from(["get", "set", "delete"]), key=typed_text, value=typed_text, which=st.booleans())
def test_keys_and_values_on_the_command_line(
    pinned: tuple[str, str], command: str, key: str, value: str, which: bool
) -> None:
    path = pinned[0] if which else pinned[1]
    before = holds(path)
    code, err = run(command, path, key, *([value] if command == "set" else []))
    assert_one_line(code, err)
    if code != 0:
        assert holds(path) == before  # refused: nothing changed


line = st.one_of(
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),  # anything, one line of it
    st.builds(
        lambda k, v: f'{{"key": {k}, "value": {v}}}',
        st.integers(-5, 70),
        st.sampled_from(
            ['{"count": 3, "name": "ab"}', '{"count": "x"}', '{"name": "toolong!"}', "7", '"text"', "null"]
        ),
    ),
    st.builds(lambda k: f"[{k}, 5]", st.integers(-5, 70)),
    st.just("[" * 3000 + "]" * 3000),
    st.just('{"key": ' + "9" * 5000 + ', "value": 1}'),
    st.builds(lambda n: f"{n},{n}", st.integers(-5, 70)),
    st.just("1," + "x" * 200_000),
)


@SETTINGS
@given(lines=st.lists(line, max_size=6), csv=st.booleans(), broken=st.booleans(), which=st.booleans())
def test_load_of_any_file(pinned: tuple[str, str], tmp_path_factory: pytest.TempPathFactory, lines: list[str],
                          csv: bool, broken: bool, which: bool) -> None:  # fmt: skip
    path = pinned[0] if which else pinned[1]
    source = tmp_path_factory.mktemp("load") / ("entries.csv" if csv else "entries.jsonl")
    data = "\n".join(lines).encode("latin-1")
    source.write_bytes(data + (b"\n\xff\xfe not utf-8\n" if broken else b"\n"))
    before = holds(path)
    code, err = run("load", path, str(source))
    assert_one_line(code, err)
    if code != 0 and "entries were applied" not in err:
        assert holds(path) == before  # refused before the first write


def test_the_inputs_that_printed_tracebacks_before(pinned: tuple[str, str], tmp_path: Path) -> None:
    cases: dict[str, bytes] = {
        "bad.jsonl": b'{"key": 1, "value": 1}\n\xff\xfe\n',
        "deep.jsonl": b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "digits.jsonl": b'{"key": ' + b"9" * 5000 + b', "value": 1}\n',
        "field.csv": b"1," + b"x" * 200_000 + b"\n",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        code, err = run("load", pinned[1], str(tmp_path / name))
        assert code == 1, (name, err)
        assert_one_line(code, err)
    code, err = run("set", pinned[1], "1", "9" * 5000)  # too many digits (3.11+), or too large for 4 bytes
    assert code == 1
    assert_one_line(code, err)
