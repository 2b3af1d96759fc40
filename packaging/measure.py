"""Installer figures: .deb size, installed size, and start-to-window time of the installed
app against the same app run from source, side by side in one run.

    .venv/bin/python packaging/measure.py                 # uses packaging/dist/*.deb
    python packaging/measure.py --deb PATH --runs 5 --python .venv/bin/python

The .deb is unpacked with `dpkg -x` into a temporary root (no root rights needed). Each run
starts `voicepanel --sandbox` with VOICEPANEL_EXIT_WHEN_SHOWN=1 (app.py's start-up probe:
it prints VOICEPANEL_SHOWN when the window is shown and VOICEPANEL_LIVE when the sandbox
profile is open, then quits) on QT_QPA_PLATFORM=offscreen, with fresh settings folders.
Installed and source runs alternate, after one discarded warm-up of each, so both see the
same machine load and a warm page cache ("cold" here is a new process, not an empty disk
cache: dropping the caches would slow everyone else on a shared machine). Prints medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_once(cmd: list[str], home: Path) -> tuple[float, float]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        VOICEPANEL_EXIT_WHEN_SHOWN="1",
    )
    start = time.time()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    marks = dict(
        line.split()[:2] for line in done.stdout.splitlines() if line.startswith("VOICEPANEL_")
    )
    if done.returncode != 0 or "VOICEPANEL_SHOWN" not in marks:
        raise SystemExit(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    shown = float(marks["VOICEPANEL_SHOWN"]) - start
    live = float(marks.get("VOICEPANEL_LIVE", "nan")) - start
    return shown, live


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deb", type=Path, help="default: the newest packaging/dist/*.deb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter of the source run (with the deps)"
    )
    args = parser.parse_args()
    deb = args.deb or max((ROOT / "packaging" / "dist").glob("voicepanel_*.deb"), default=None)
    if deb is None:
        raise SystemExit("no .deb: run bash packaging/build-linux.sh first")

    work = Path(tempfile.mkdtemp(prefix="vp-measure-"))
    try:
        subprocess.run(["dpkg", "-x", str(deb), str(work / "root")], check=True)
        installed_kb = int(
            subprocess.run(
                ["dpkg-deb", "-f", str(deb), "Installed-Size"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        bundle_exe = work / "root" / "opt" / "voicepanel" / "voicepanel"
        source_cmd = [
            args.python,
            "-c",
            "import sys; from voicepanel.app import main; sys.exit(main())",
        ]
        variants = {
            "installed (.deb)": [str(bundle_exe), "--sandbox"],
            "from source": [*source_cmd, "--sandbox"],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for cmd in variants.values():  # warm-up, discarded
            _run_once(cmd, work / "home")
        for _ in range(args.runs):
            for name, cmd in variants.items():
                results[name].append(_run_once(cmd, work / "home"))

        print(f"package          {deb.name}")
        print(f".deb size        {_mb(deb.stat().st_size)}")
        print(f"installed size   {_mb(installed_kb * 1024)}")
        print(f"runs             {args.runs} each, alternating, after one warm-up each")
        print(f"platform         QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")
        print()
        print("| start | window shown, median (min-max) | sandbox profile live, median |")
        print("|---|---|---|")
        for name, samples in results.items():
            shown = [s for s, _ in samples]
            live = [lv for _, lv in samples]
            print(
                f"| {name} | {statistics.median(shown):.2f} s ({min(shown):.2f}-{max(shown):.2f}) "
                f"| {statistics.median(live):.2f} s |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
