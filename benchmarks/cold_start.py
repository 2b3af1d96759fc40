"""Cold start: from process start to the main window shown, and to a live sandbox panel.

    python benchmarks/cold_start.py [--runs 5]

Starts ``python -m voicepanel --sandbox`` offscreen with fresh settings folders, five
times; the app prints when its window is shown and when the workspace is live, then quits
(VOICEPANEL_EXIT_WHEN_SHOWN). Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def one_run() -> tuple[float, float, float]:
    home = tempfile.mkdtemp(prefix="voicepanel-cold-")
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        VOICEPANEL_EXIT_WHEN_SHOWN="1",
        HOME=home,
        XDG_CONFIG_HOME=f"{home}/config",
        XDG_DATA_HOME=f"{home}/data",
        XDG_STATE_HOME=f"{home}/state",
        XDG_CACHE_HOME=f"{home}/cache",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "voicepanel", "--sandbox"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    exited = time.time()
    marks = dict(
        line.split()[:2] for line in done.stdout.splitlines() if line.startswith("VOICEPANEL_")
    )
    shown = float(marks["VOICEPANEL_SHOWN"]) - start
    live = float(marks["VOICEPANEL_LIVE"]) - start
    return shown, live, exited - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        shown, live, total = one_run()
        runs.append((shown, live, total))
        print(f"run {i + 1}: window shown {shown:.2f} s, live {live:.2f} s, exited {total:.2f} s")
    print(
        f"median of {args.runs}: window shown {statistics.median(r[0] for r in runs):.2f} s, "
        f"sandbox panel live {statistics.median(r[1] for r in runs):.2f} s, "
        f"process exited {statistics.median(r[2] for r in runs):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
