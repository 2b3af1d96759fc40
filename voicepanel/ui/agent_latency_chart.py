"""A small bar chart of the last turns' voice-to-voice latency, painted with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from voicepanel.ui.state_style import Tone, tone_colour

LAST_TURNS = 20


class LatencyChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latencies_ms: list[float] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(70)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(240, 80)

    def set_latencies(self, latencies_ms: list[float]) -> None:
        self.latencies_ms = list(latencies_ms[-LAST_TURNS:])
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        rect = QRectF(self.rect()).adjusted(1, 14, -1, -1)
        p.fillRect(self.rect(), self.palette().base())
        values = self.latencies_ms
        if not values:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No turns yet")
            p.end()
            return
        top = max(max(values), 100.0)
        slot = rect.width() / LAST_TURNS
        for i, value in enumerate(values):
            h = rect.height() * value / top
            bar = QRectF(rect.left() + i * slot + 1, rect.bottom() - h, slot - 2, h)
            p.fillRect(bar, tone_colour(Tone.INFO))
        p.setPen(self.palette().text().color())
        p.drawText(4, 11, f"max {top:.0f} ms, last {values[-1]:.0f} ms")
        p.end()
