"""Small widget helpers shared by the panes: ids to copy, labels that may shrink (cut with an
ellipsis in the middle, never silently), and a check that a widget still exists after an
await."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


def alive(obj: QObject) -> bool:
    """False once Qt has deleted the object: a coroutine that awaited the network must
    check this before touching the widget it started from (it may have been closed)."""
    return shiboken6.isValid(obj)


def shrinkable(label: QLabel) -> None:
    """Long ids may be cut at the pane's edge rather than widen it (Copy gives them whole)."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(60)


class ElidedLabel(QLabel):
    """One line of plain text that, when the room is short, shows its start and end with
    "…" between (ids differ at both ends) and the whole text as its tooltip. ``text()``
    is always the whole text. It asks for its full width; layouts may give it less."""

    MIN_CHARS = 12

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, shrink: bool = True
    ) -> None:
        super().__init__(parent)
        self._shrink = shrink  # False: asks for its whole width as its minimum too
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        if not self._shrink:
            return hint
        short = self.fontMetrics().horizontalAdvance("M" * self.MIN_CHARS + "…")
        margins = self.contentsMargins()
        return QSize(min(hint.width(), short + margins.left() + margins.right()), hint.height())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if not self.is_elided():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        area = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, area.width()
        )
        painter.drawText(area, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)


class CopyableId(QWidget):
    """An id in a fixed-width font with a Copy button; ``set_text`` keeps it current.
    ``shrink`` lets a narrow place shorten it with "…" (Copy still gives it whole); without
    it the id asks for its full width, and a form wraps it under its label instead."""

    def __init__(
        self, text: str = "", name: str = "", parent: QWidget | None = None, *, shrink: bool = True
    ) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = ElidedLabel(shrink=shrink)
        self.label.setObjectName(f"{name}Text" if name else "")
        self.label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QToolButton()
        self.button.setObjectName(f"{name}Copy" if name else "")
        self.button.setText("Copy")
        self.button.setToolTip("Copy to the clipboard")
        self.button.clicked.connect(self.copy)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
