"""The documentation pages (README.md and docs/*.md) and their fenced blocks, for the tests that run them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\S*)\n(.*?)^```$", re.S | re.M)


def blocks(page: Path, language: str | None = None) -> list[tuple[str, str]]:
    """(language, body) of each fenced block of *page*, in order; only *language*'s if given."""
    found = _FENCE.findall(page.read_text())
    return [(lang, body) for lang, body in found if language is None or lang == language]
