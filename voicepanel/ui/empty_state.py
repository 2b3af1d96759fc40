"""What an empty list or table says: one line in its middle telling the person what fills it
(or what to do), gone as soon as the first row arrives."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QAbstractItemView

MARGIN = 12


class EmptyHint(QObject):
    """Paints ``text`` over ``view``'s empty viewport, in the placeholder colour the
    palette gives (readable on light and dark). ``text`` may be a function, read at each
    paint (e.g. to say that a filter hides every row)."""

    def __init__(self, view: QAbstractItemView, text: str | Callable[[], str]) -> None:
        super().__init__(view)
        self._view = view
        self._text = text
        view.viewport().installEventFilter(self)

    @property
    def text(self) -> str:
        return self._text() if callable(self._text) else self._text

    def showing(self) -> bool:
        model = self._view.model()
        return model is not None and model.rowCount(self._view.rootIndex()) == 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Painted before the view paints its (absent) rows, so nothing covers it.
        if event.type() == QEvent.Type.Paint and self.showing():
            viewport = self._view.viewport()
            painter = QPainter(viewport)
            painter.setPen(viewport.palette().placeholderText().color())
            area = viewport.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
            painter.drawText(
                area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.text
            )
            painter.end()
        return False
