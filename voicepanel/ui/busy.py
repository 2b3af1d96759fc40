"""Busy state for anything that waits on the network: disabled controls and a spinner."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressBar, QWidget

Control = QWidget | QAction


class BusyIndicator(QProgressBar):
    """An indeterminate bar shown while at least one network action is running."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setMaximumWidth(120)
        self.setMaximumHeight(14)
        self.setObjectName("busyIndicator")
        self._depth = 0
        self.hide()

    @contextmanager
    def busy(self, *controls: Control | None, tooltip: str = "") -> Iterator[None]:
        """Shows the spinner and disables ``controls`` until the block ends."""
        disabled = _disable(controls)
        self._depth += 1
        self.setToolTip(tooltip)
        self.show()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.hide()
            for widget in disabled:
                widget.setEnabled(True)


@contextmanager
def disabled_while(*controls: Control | None, cursor: QWidget | None = None) -> Iterator[None]:
    """Disables ``controls`` (and shows a busy cursor on ``cursor``) for the block."""
    disabled = _disable(controls)
    if cursor is not None:
        cursor.setCursor(Qt.CursorShape.BusyCursor)
    try:
        yield
    finally:
        if cursor is not None:
            cursor.unsetCursor()
        for widget in disabled:
            widget.setEnabled(True)


def _disable(controls: Sequence[Control | None]) -> list[Control]:
    disabled = [w for w in controls if w is not None and w.isEnabled()]
    for widget in disabled:
        widget.setEnabled(False)
    return disabled
