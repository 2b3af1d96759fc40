"""Small widget helpers shared by the panes: ids to copy, labels that may shrink, and a
check that a widget still exists after an await."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


def alive(obj: QObject) -> bool:
    """False once Qt has deleted the object: a coroutine that awaited the network must
    check this before touching the widget it started from (it may have been closed)."""
    return shiboken6.isValid(obj)


def shrinkable(label: QLabel) -> None:
    """Long ids may be cut at the pane's edge rather than widen it (Copy gives them whole)."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(60)


class CopyableId(QWidget):
    """An id in a fixed-width font with a Copy button; ``set_text`` keeps it current."""

    def __init__(self, text: str = "", name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setObjectName(f"{name}Text" if name else "")
        self.label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shrinkable(self.label)
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
        self.label.setToolTip(text)

    def text(self) -> str:
        return self.label.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
