"""How the panel copes with a burst of notifications.

    QT_QPA_PLATFORM=offscreen python benchmarks/notification_burst.py [--count 10000]

A sandbox runs in its own process; a second process creates and deletes rooms over REST as
fast as it can (each room is a RoomCreated and a RoomDeleted), while the panel (main
window, real Workspace, notifier, tree and notifications dock) runs here on the qasync loop.
A 5 ms QTimer measures the gaps in the Qt event loop. Prints the longest stall, the time
until every row is in the notifications model, the number of model inserts, and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOKEN = "bench-management-token"
VAPI_KEY = "bench-vapi-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def push(url: str, rooms: int, threads: int) -> None:
    """Creates and deletes ``rooms`` rooms through the Fishjam SDK (the pusher process)."""
    from fishjam import FishjamClient, RoomOptions

    def work(n: int) -> None:
        client = FishjamClient(url, TOKEN)
        for _ in range(n):
            room = client.create_room(RoomOptions())
            client.delete_room(room.id)

    share = [rooms // threads + (1 if i < rooms % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=work, args=(n,)) for n in share]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"pushed {rooms * 2} notifications in {time.perf_counter() - start:.2f} s", flush=True)


class StallMeter:
    """A 5 ms QTimer; the gaps between its ticks are the event loop's responsiveness."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now


async def open_panel(url: str) -> tuple[Any, Any]:
    """The main window (offscreen) with a profile on the sandbox at ``url``, settings in a
    temporary folder, once the VAPI SDK has loaded; returns (window, host)."""
    from PySide6.QtCore import QSettings

    from voicepanel.session.profiles import (
        Profile,
        ProfileKind,
        ProfileStore,
        SecretName,
        SecretStore,
    )
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.settings import UiSettings
    from voicepanel.ui.workspace_host import WorkspaceHost

    folder = Path(tempfile.mkdtemp(prefix="voicepanel-burst-"))
    secrets = SecretStore()
    profile = Profile("Burst", ProfileKind.CLOUD, fishjam_id=url, vapi_base_url=url + "/vapi")
    secrets.set(profile.name, SecretName.MANAGEMENT_TOKEN, TOKEN)
    secrets.set(profile.name, SecretName.VAPI_KEY, VAPI_KEY)
    profiles = ProfileStore(folder / "profiles.json")
    profiles.save(profile)
    host = WorkspaceHost(lambda p: Workspace(p, secrets, folder / "data"))
    settings = UiSettings(QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat))
    settings.first_run_done = True
    window = MainWindow(host, profiles, secrets, settings, folder / "logs")
    window.resize(1440, 900)
    window.show()
    assert await window.open_profile(profile), "could not connect to the sandbox"
    return window, host


async def measure(url: str, count: int, threads: int) -> None:
    window, host = await open_panel(url)
    await asyncio.sleep(1.0)
    model = window.notifications.model
    rows_before = model.rowCount()
    batches_before = model.insert_batches
    rss_before = _rss_mib()

    meter = StallMeter()
    meter.start()
    start = time.perf_counter()
    pusher = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--push", url, "--count", str(count), "--threads", str(threads)
    )
    while model.rowCount() - rows_before < count:
        await asyncio.sleep(0.01)
    all_rows_s = time.perf_counter() - start
    await pusher.wait()
    while window.tree_model.rowCount():  # every room was deleted again
        await asyncio.sleep(0.01)
    tree_settled_s = time.perf_counter() - start
    meter.stop()
    rss_after = _rss_mib()
    gaps_ms = sorted(g * 1000 for g in meter.gaps)
    p99 = gaps_ms[int(len(gaps_ms) * 0.99)]
    print(f"notifications: {count}, rows in model: {model.rowCount() - rows_before}")
    print(f"time until every row is in the model: {all_rows_s:.2f} s")
    print(f"time until the tree settled (all rooms gone): {tree_settled_s:.2f} s")
    print(f"model inserts: {model.insert_batches - batches_before}")
    print(
        f"event-loop gaps (5 ms timer): longest {gaps_ms[-1]:.0f} ms, p99 {p99:.0f} ms, "
        f"median {statistics.median(gaps_ms):.1f} ms, ticks {len(gaps_ms)}"
    )
    print(f"RSS: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after")
    await in_process_burst(window, count)
    window._quitting = True  # noqa: SLF001 - no quit prompt in a benchmark
    await host.close()
    window.close()


async def in_process_burst(window: Any, count: int) -> None:
    """The panel's side alone: ``count`` notifications arrive within one loop turn (as a
    reconnect backlog would), through the workspace's own path: journal, tree, listeners."""
    from voicepanel.core.notifications import Notification

    workspace = window.host.workspace
    model = window.notifications.model
    rows_before, batches_before = model.rowCount(), model.insert_batches
    now = time.time()
    burst = [
        Notification(now, "TrackMetadataUpdated", "burst-room", f"peer-{i}", f"track-{i}", {})
        for i in range(count)
    ]
    meter = StallMeter()
    meter.start()
    start = time.perf_counter()
    for n in burst:
        workspace._handle_notification(n)  # noqa: SLF001 - the notifier's entry point
    delivered_s = time.perf_counter() - start
    while model.rowCount() - rows_before < count:
        await asyncio.sleep(0.005)
    rows_s = time.perf_counter() - start
    await asyncio.sleep(0.3)
    meter.stop()
    print(
        f"in-process burst of {count}: delivered (journal + tree) in {delivered_s * 1000:.0f} ms,"
        f" every row in the model after {rows_s * 1000:.0f} ms,"
        f" model inserts {model.insert_batches - batches_before},"
        f" longest loop gap {max(meter.gaps) * 1000:.0f} ms"
    )


@contextlib.contextmanager
def sandbox_process() -> Iterator[str]:
    """A sandbox in a process of its own on a free port; yields its URL."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voicepanel.sandbox",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--vapi-key",
            VAPI_KEY,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description="Notification burst through the panel.")
    parser.add_argument("--count", type=int, default=10_000, help="notifications (even)")
    parser.add_argument("--threads", type=int, default=4, help="REST threads in the pusher")
    parser.add_argument("--push", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.push:
        push(args.push, args.count // 2, args.threads)
        return 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    with sandbox_process() as url:
        from voicepanel.app import build_app, tune_runtime

        tune_runtime()
        app = build_app()
        import qasync

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(measure(url, args.count, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
