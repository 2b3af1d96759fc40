"""Headless Chromium (Debian's ``chromium``, from scripts/system-packages.txt) for looking at
an HTML report as a person would: the DOM after the page loaded, and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Chromium is missing: scripts/setup.sh installs Debian's chromium package"
    return found


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def rendered_dom(page: Path) -> str:
    return _run(page, "--dump-dom").stdout


def screenshot(page: Path, png: Path, width: int = 1100, height: int = 2400) -> Path:
    _run(page, f"--window-size={width},{height}", f"--screenshot={png.resolve()}")
    assert png.stat().st_size > 10_000, "the screenshot is empty"
    return png
