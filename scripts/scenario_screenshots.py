"""Regenerates docs/screenshots/scenario-window.png and scenario-report.png.

    python scripts/scenario_screenshots.py [--out docs/screenshots]

The window: the Echo latency example run from the Scenario dock on the built-in sandbox,
grabbed once its first turn is scored, while the call card shows the live transcript. The
report: `voicepanel run examples/scenarios/*.toml --sandbox --report ...`, opened in
headless Chromium (Debian's `chromium`) and captured. Throwaway settings folders throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))  # the tests' headless Chromium helper

from browser import screenshot  # noqa: E402
from screenshots import _isolate, _sandbox_window, _settle, _until  # noqa: E402


async def window_shot(out: Path) -> None:
    window, host, _ws = await _sandbox_window()
    dock = window.scenario
    run = asyncio.ensure_future(dock.run_file(Path("examples/scenarios/echo-latency.toml")))
    await _until(lambda: dock.table.rowCount() >= 2, 60)
    await _settle()
    window.grab().save(str(out / "scenario-window.png"))
    await run
    window._quitting = True  # noqa: SLF001 - no quit prompt in a script
    await host.close()
    window.close()


def report_shot(out: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="voicepanel-report-"))
    examples = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "examples/scenarios").glob("*.toml")
    )
    subprocess.run(
        [sys.executable, "-m", "voicepanel", "run", *examples]
        + ["--sandbox", "--report", str(folder)],
        cwd=ROOT,
        check=False,
    )
    screenshot(folder / "report.html", out / "scenario-report.png", height=2000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots")
    args = parser.parse_args()
    out = args.out.resolve()
    os.chdir(ROOT)  # the scenarios are shown by their paths in the repository
    _isolate()
    out.mkdir(parents=True, exist_ok=True)
    report_shot(out)
    from voicepanel.app import build_app

    app = build_app()
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(window_shot(out))
    print(out / "scenario-window.png")
    print(out / "scenario-report.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
