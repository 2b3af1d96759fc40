"""The window's own preferences in QSettings (never a secret; profiles live in session/)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "VoicePanel"
APPLICATION = "VoicePanel"


class UiSettings:
    """Typed access to the few keys the window keeps."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)

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

    def window_state(self, name: str) -> QByteArray | None:
        value = self._s.value(f"window/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, name: str, value: QByteArray) -> None:
        self._s.setValue(f"window/{name}", value)

    def sync(self) -> None:
        self._s.sync()
