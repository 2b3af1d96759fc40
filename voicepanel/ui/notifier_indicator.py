"""The status-bar light for the notifier: Live, Reconnecting in N s, Failed with why, or Off
when no workspace is open (saying what is missing and offering the way to fix it)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from voicepanel.ui.state_style import Tone, dot_icon

_TONES = {
    "CONNECTING": Tone.WARN,
    "LIVE": Tone.GOOD,
    "RETRYING": Tone.WARN,
    "FAILED": Tone.BAD,
    "STOPPED": Tone.IDLE,
    "OFF": Tone.IDLE,
}


class NotifierIndicator(QWidget):
    """Shows a NotifierStatus; counts down to the next attempt while retrying."""

    def __init__(
        self,
        reconnect: Callable[[], None],
        open_profiles: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("notifierIndicator")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._dot = QLabel()
        self.label = QLabel("Notifications: connecting…")
        self.label.setObjectName("notifierLabel")
        self.reconnect_button = QToolButton()
        self.reconnect_button.setText("Reconnect")
        self.reconnect_button.setObjectName("reconnectButton")
        self.reconnect_button.setAutoRaise(True)
        self.reconnect_button.clicked.connect(reconnect)
        self.reconnect_button.hide()
        self.profiles_button = QToolButton()
        self.profiles_button.setText("Profiles…")
        self.profiles_button.setObjectName("notifierProfilesButton")
        self.profiles_button.setAutoRaise(True)
        if open_profiles is not None:
            self.profiles_button.clicked.connect(open_profiles)
        self.profiles_button.hide()
        layout.addWidget(self._dot)
        layout.addWidget(self.label)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.profiles_button)
        self._state = "CONNECTING"
        self._reason: str | None = None
        self._hint: str | None = None
        self._deadline: float | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._render)
        self._render()

    @property
    def state(self) -> str:
        return self._state

    def set_status(self, status: Any) -> None:
        self._state = getattr(status.state, "name", str(status.state)).upper()
        self._reason = status.reason
        self._hint = getattr(status, "hint", None)
        retry_at = getattr(status, "retry_at", None)
        retry = status.retry_in_s
        if retry_at is None and retry is not None:
            retry_at = time.monotonic() + retry
        self._deadline = retry_at
        if self._state == "RETRYING":
            self._tick.start()
        else:
            self._tick.stop()
        self._render()

    def show_connecting(self) -> None:
        self._state = "CONNECTING"
        self._reason = self._hint = self._deadline = None
        self._tick.stop()
        self._render()

    def show_off(self, why: str = "", hint: str = "") -> None:
        """No workspace: nothing is connecting. ``why`` says what is missing (a token, a
        server), ``hint`` what to do; both empty when no profile is open yet."""
        self._state = "OFF"
        self._reason = why or None
        self._hint = hint or None
        self._deadline = None
        self._tick.stop()
        self._render()

    def _render(self) -> None:
        tone = _TONES.get(self._state, Tone.IDLE)
        self._dot.setPixmap(dot_icon(tone, 12).pixmap(12, 12))
        if self._state == "LIVE":
            text = "Live"
        elif self._state == "RETRYING":
            if self._deadline is None:
                text = "Reconnecting…"
            else:
                left = max(0, math.ceil(self._deadline - time.monotonic()))
                text = f"Reconnecting in {left} s" if left else "Reconnecting…"
        elif self._state == "FAILED":
            text = f"Failed: {self._reason or 'the notifier stopped'}"
        elif self._state == "STOPPED":
            text = "Stopped"
        elif self._state == "OFF":
            text = f"off: {self._reason}" if self._reason else "off (no profile connected)"
        else:
            text = "Connecting…"
        self.label.setText(f"Notifications: {text}")
        self.setToolTip(" ".join(t for t in (self._reason, self._hint) if t))
        self.reconnect_button.setVisible(self._state in ("RETRYING", "FAILED", "STOPPED"))
        self.profiles_button.setVisible(self._state == "OFF" and self._reason is not None)
