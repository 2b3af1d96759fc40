"""UI test fixtures: offscreen Qt on a 1280x720 screen, a qasync loop for async tests, and a
live panel on the in-process sandbox with throwaway settings."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

# The window is checked on the smallest screen it must fit: a 1280x720 laptop.
SCREEN = Path(__file__).with_name("screen-1280x720.json")
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def _qt_loop() -> asyncio.AbstractEventLoop:
    import qasync

    app = QApplication.instance() or QApplication(["voicepanel-tests"])
    # As in app.py: closing the window asks first, then the app decides when to quit.
    app.setQuitOnLastWindowClosed(False)
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    """Async tests under tests/ui run on qasync's loop, i.e. on Qt's event loop."""
    return {"qt": _qt_loop}


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp: Any) -> Any:
    """As app.py does: cyclic garbage is collected on the Qt thread only; whatever a test
    left is collected there before the next one starts."""
    from voicepanel.ui.gui_thread_gc import GuiThreadCollector

    collector = GuiThreadCollector()
    collector.start()
    yield collector
    collector.stop()
    gc.collect()


@pytest.fixture
def ui_settings(tmp_path: Path) -> Any:
    from voicepanel.ui.settings import UiSettings

    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    settings.first_run_done = True
    return settings


@pytest.fixture
async def panel(qtbot: Any, tmp_path: Path, ui_settings: Any) -> AsyncIterator[Any]:
    """The main window, connected to the in-process sandbox (as on a first launch)."""
    from voicepanel.session.profiles import SANDBOX_PROFILE, ProfileStore, SecretStore
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.workspace_host import WorkspaceHost

    secrets = SecretStore()
    profiles = ProfileStore(tmp_path / "profiles.json")
    host = WorkspaceHost(
        lambda profile: Workspace(profile, secrets, tmp_path / "data", call_poll_interval_s=0.3)
    )
    window = MainWindow(host, profiles, secrets, ui_settings, tmp_path / "logs")
    window.resize(1280, 800)
    window.show()
    assert await window.open_profile(SANDBOX_PROFILE)
    try:
        yield window
    finally:
        window._quitting = True
        await host.close()
        window.close()
        window.deleteLater()
