"""The window's own preferences (never a secret; profiles live in session/), kept in one
INI file in the same settings folder as the profiles: ``config_dir()/settings.ini``.

Earlier versions let QSettings pick its native place (``~/.config/VoicePanel`` on Linux,
the registry on Windows, a plist on macOS), a second settings folder beside
``voicepanel``; ``migrate_legacy_settings`` moves what it finds there once."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from voicepanel.session.paths import config_dir

log = logging.getLogger(__name__)

ORGANIZATION = "VoicePanel"
APPLICATION = "VoicePanel"
SETTINGS_FILE = "settings.ini"


def open_settings(path: Path | None = None) -> QSettings:
    """The INI file every window of the app reads and writes its preferences in."""
    return QSettings(str(path or config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def legacy_settings() -> QSettings:
    """Where QSettings kept the preferences before they moved into the settings folder."""
    return QSettings(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def migrate_legacy_settings(target: QSettings, legacy: QSettings) -> int:
    """Copies the legacy preferences into ``target`` once (only while ``target`` is
    empty), then removes them and their folder if it is left empty; returns how many
    keys moved."""
    keys = legacy.allKeys()
    if not keys or target.allKeys():
        return 0
    for key in keys:
        target.setValue(key, legacy.value(key))
    target.sync()
    if target.status() is not QSettings.Status.NoError:
        log.warning("Could not write %s; the old settings stay where they were", target.fileName())
        return 0
    legacy.clear()
    legacy.sync()
    old = Path(legacy.fileName())
    if old.is_file():  # a file on Linux and macOS; a registry key on Windows
        try:
            old.unlink()
            old.parent.rmdir()  # only when nothing else is in it
        except OSError:
            pass
    log.info("Moved %d settings from %s to %s", len(keys), legacy.fileName(), target.fileName())
    return len(keys)


class UiSettings:
    """Typed access to the few keys the window keeps.

    Preferences are the app's; a window's geometry and docks are its own: the first window
    keeps them under ``window/``, a second one under ``window2/`` and so on, so two windows
    side by side do not overwrite each other's place."""

    def __init__(self, settings: QSettings | None = None, *, window: int = 1) -> None:
        self._s = settings if settings is not None else open_settings()
        self.window = window
        self._window_group = "window" if window == 1 else f"window{window}"

    def for_window(self, window: int) -> UiSettings:
        """The same preferences, with the geometry of the ``window``-th window (from 1)."""
        return UiSettings(self._s, window=window)

    @property
    def qsettings(self) -> QSettings:
        return self._s

    def _bool(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")

    @property
    def end_calls_on_quit(self) -> bool:
        return self._bool("session/endCallsOnQuit", True)

    @end_calls_on_quit.setter
    def end_calls_on_quit(self, value: bool) -> None:
        self._s.setValue("session/endCallsOnQuit", value)

    @property
    def first_run_done(self) -> bool:
        return self._bool("ui/firstRunDone", False)

    @first_run_done.setter
    def first_run_done(self, value: bool) -> None:
        self._s.setValue("ui/firstRunDone", value)

    @property
    def presenter_theme(self) -> str:
        """Presenter mode's look: "dark" (the default, kind to a projector) or "light"."""
        value = str(self._s.value("presenter/theme", "dark"))
        return value if value in ("dark", "light") else "dark"

    @presenter_theme.setter
    def presenter_theme(self, value: str) -> None:
        self._s.setValue("presenter/theme", value)

    def window_state(self, name: str) -> QByteArray | None:
        value = self._s.value(f"{self._window_group}/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, name: str, value: QByteArray) -> None:
        self._s.setValue(f"{self._window_group}/{name}", value)

    def sync(self) -> None:
        self._s.sync()
