"""How any part of the window reports an outcome: one object, shown in one banner."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from voicepanel.ui.error_banner import log_failure

log = logging.getLogger(__name__)


class Feedback(QObject):
    """Widgets report failures and notes here; the main window shows them in its banner."""

    error = Signal(object)  # BaseException
    note = Signal(str, str)  # message, hint

    def fail(self, error: BaseException) -> None:
        # The log keeps the cause; the person sees message and hint only.
        log_failure(error)
        self.error.emit(error)

    def tell(self, message: str, hint: str = "") -> None:
        log.info("%s %s", message, hint)
        self.note.emit(message, hint)
