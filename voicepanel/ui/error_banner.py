"""Failures shown to people: an inline banner with the message and the hint, never a traceback."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from voicepanel.core.errors import VoicePanelError
from voicepanel.ui.state_style import Tone, dot_icon

log = logging.getLogger(__name__)


def log_failure(error: BaseException) -> None:
    """Logs what the person was shown, with the cause the person was spared."""
    if isinstance(error, VoicePanelError):
        log.warning("%s %s", error.message, error.hint, exc_info=error.__cause__)
    else:
        log.error("Unexpected error", exc_info=error)


def describe(error: BaseException) -> tuple[str, str]:
    """(message, hint) for any exception; unexpected ones get a generic, honest text."""
    if isinstance(error, VoicePanelError):
        return error.message, error.hint
    return (
        "Something went wrong inside VoicePanel.",
        "The details are in the log (Help → Open log folder).",
    )


class ErrorBanner(QFrame):
    """A dismissable strip that says what failed and what to try.

    Stays until dismissed or replaced; an optional timeout hides informational notes.
    """

    shown = Signal()  # a message went up (a window may make room for it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        self._icon = QLabel()
        self._icon.setPixmap(dot_icon(Tone.BAD, 14).pixmap(14, 14))
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self._icon)
        layout.addWidget(self._text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def text(self) -> str:
        return self._text.text()

    def show_error(self, error: BaseException) -> None:
        message, hint = describe(error)
        self.show_message(message, hint, tone=Tone.BAD)

    def show_message(
        self, message: str, hint: str = "", *, tone: Tone = Tone.BAD, timeout_ms: int = 0
    ) -> None:
        self._icon.setPixmap(dot_icon(tone, 14).pixmap(14, 14))
        body = f"<b>{html.escape(message, quote=False)}</b>"
        if hint:
            body += f"<br>{html.escape(hint, quote=False)}"
        self._text.setText(body)
        self._timer.stop()
        if timeout_ms:
            self._timer.start(timeout_ms)
        self.show()
        self.shown.emit()
