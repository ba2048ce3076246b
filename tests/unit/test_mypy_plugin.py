"""The mypy plugin makes mypy check the ``__init__`` of layout classes."""

from __future__ import annotations

from pathlib import Path

from tests.support.docpages import ROOT, blocks


def mypy_output(tmp_path: Path, snippet: str) -> str:
    """What mypy says of *snippet*, configured as docs/codecs.md tells users to (their pyproject.toml)."""
    from mypy import api

    [(_, toml)] = blocks(ROOT / "docs" / "codecs.md", "toml")
    config, source = tmp_path / "pyproject.toml", tmp_path / "snippet.py"
    config.write_text(toml)
    source.write_text(snippet)
    out, _, _ = api.run(["--config-file", str(config), "--no-incremental", str(source)])
    return out


SNIPPET = """
import attrs
from pybpfmaps import be16, field, string, u32

@attrs.frozen
class Key:
    ident: int = u32()
    port: int = be16(pad_after=2)
    name: str = field(string(8))
    extra: int = field(u32, default=0)

Key()
Key(1, 2, "x")
Key(1, "2", "x")
"""


def test_plugin_makes_helper_fields_required_and_typed(tmp_path: Path) -> None:
    out = mypy_output(tmp_path, SNIPPET)
    assert 'snippet.py:12: error: Missing positional arguments "ident", "port", "name"' in out
    assert 'snippet.py:14: error: Argument 2 to "Key" has incompatible type "str"; expected "int"' in out
    assert "snippet.py:13" not in out


SPIN_LOCK_SNIPPET = """
import attrs
from pybpfmaps import i64, spin_lock

@attrs.frozen
class Account:
    balance: int = i64()
    lock: int = spin_lock()

Account(5)
Account(5, lock=0)
Account(5, 0)
Account(lock=0)
"""


def test_plugin_knows_spin_lock_fields_are_optional_keywords(tmp_path: Path) -> None:
    out = mypy_output(tmp_path, SPIN_LOCK_SNIPPET)
    assert 'snippet.py:12: error: Too many positional arguments for "Account"' in out
    assert 'snippet.py:13: error: Missing positional argument "balance" in call to "Account"' in out
    assert "snippet.py:10" not in out
    assert "snippet.py:11" not in out
