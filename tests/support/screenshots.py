"""Screenshots of every page of the documentation site, for people to look at: the site built into
site/ is served on localhost and each page drawn by headless Chromium into build/screenshots/.

    python -m tests.support.screenshots [--width 1280] [--height 3000]

``make screenshots`` runs it (installing Debian's chromium when it is missing).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).parents[2]
SITE = ROOT / "site"
OUT = ROOT / "build" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged."""


def pages(site: Path) -> list[Path]:
    """Every page of the built site (each directory's index.html), the search page left out."""
    return sorted(page for page in site.rglob("index.html") if "search" not in page.parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("screenshots: no chromium (apt-get install chromium; make screenshots does)")
    if not (SITE / "index.html").exists():
        raise SystemExit("screenshots: build the site first (make docs)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        for page in pages(SITE):
            relative = page.parent.relative_to(SITE)
            name = "-".join(relative.parts) or "index"
            url = f"http://127.0.0.1:{server.server_address[1]}/{relative.as_posix()}/".replace("//", "/").replace(
                "http:/", "http://"
            )
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={args.width},{args.height}",
                     f"--screenshot={OUT / name}.png", url],
                    check=True, capture_output=True, timeout=120,
                )  # fmt: skip
            print(f"{OUT.relative_to(ROOT) / name}.png  {url}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
