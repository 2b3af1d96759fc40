"""A horizontal level meter (RMS bar with a peak tick) painted from the latest value.

It never listens to audio: the panel's ~30 Hz timer calls ``set_level`` and the meter
repaints at most that often.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DB = -60.0


def _fraction(dbfs: float) -> float:
    return min(1.0, max(0.0, (dbfs - FLOOR_DB) / -FLOOR_DB))


def _loudness_colour(peak_dbfs: float) -> QColor:
    if peak_dbfs > -3:
        return QColor("#c0392b")
    if peak_dbfs > -12:
        return QColor("#d4a017")
    return QColor("#3a9d5d")


class MeterBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rms_dbfs = -120.0
        self.peak_dbfs = -120.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(80)
        self._colours: tuple[QColor, QColor, QColor] | None = None
        self._fill: QColor | None = None

    def set_colours(
        self, trough: QColor, tick: QColor, edge: QColor, fill: QColor | None = None
    ) -> None:
        """Colours of its own instead of the palette's, and one ``fill`` instead of the
        loudness colours (presenter mode: an audience reads a level, not headroom)."""
        self._colours = (trough, tick, edge)
        self._fill = fill
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(160, 12)

    def set_level(self, rms_dbfs: float, peak_dbfs: float) -> None:
        if (rms_dbfs, peak_dbfs) == (self.rms_dbfs, self.peak_dbfs):
            return
        self.rms_dbfs, self.peak_dbfs = rms_dbfs, peak_dbfs
        self.setToolTip(f"RMS {rms_dbfs:.1f} dBFS, peak {peak_dbfs:.1f} dBFS")
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        trough, tick, edge = self._colours or (
            palette.base().color(),
            palette.text().color(),
            palette.mid().color(),
        )
        p.fillRect(rect, trough)
        width = rect.width() * _fraction(self.rms_dbfs)
        colour = self._fill or _loudness_colour(self.peak_dbfs)
        p.fillRect(QRectF(rect.left(), rect.top(), width, rect.height()), colour)
        peak_x = rect.left() + rect.width() * _fraction(self.peak_dbfs)
        p.setPen(tick)
        p.drawLine(int(peak_x), int(rect.top()), int(peak_x), int(rect.bottom()))
        p.setPen(edge)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)
        p.end()
