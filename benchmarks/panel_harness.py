"""What the panel benchmarks share: the real main window on a profile, offscreen, with
throwaway settings, and a timer that measures the Qt event loop's gaps."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        """Stops; returns the gaps in milliseconds, sorted."""
        self._timer.stop()
        return sorted(g * 1000 for g in self.gaps)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now


async def open_panel(
    profile: Any, secrets: Any, folder: Path, size: tuple[int, int] = (1280, 720)
) -> tuple[Any, Any]:
    """The main window connected to ``profile`` (saved first unless it is the Sandbox), once
    the VAPI SDK has finished loading in the background; returns (window, host)."""
    from PySide6.QtCore import QSettings

    from voicepanel.core.vapi_gateway import _SDK_LOADED
    from voicepanel.session.profiles import ProfileStore
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.settings import UiSettings
    from voicepanel.ui.workspace_host import WorkspaceHost

    profiles = ProfileStore(folder / "profiles.json")
    if not profile.is_sandbox:
        profiles.save(profile)
    host = WorkspaceHost(lambda p: Workspace(p, secrets, folder / "data", profile_store=profiles))
    settings = UiSettings(QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat))
    settings.first_run_done = True
    window = MainWindow(host, profiles, secrets, settings, folder / "logs")
    window.resize(*size)
    window.show()
    assert await window.open_profile(profile), "could not connect"
    while not _SDK_LOADED.is_set():  # tens of MiB and seconds of CPU: not in the figures
        await asyncio.sleep(0.1)
    return window, host


async def close_panel(window: Any, host: Any) -> None:
    window._quitting = True  # noqa: SLF001 - no quit prompt in a benchmark
    await host.close()
    window.close()
