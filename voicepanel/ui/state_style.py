"""State colours and icons shared by every view: readable on light and dark palettes."""

from __future__ import annotations

from enum import Enum
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QWidget


class Tone(Enum):
    """What a state means to the person looking at it."""

    GOOD = "good"
    IDLE = "idle"
    WARN = "warn"
    BAD = "bad"
    INFO = "info"


# Mid-saturation colours that keep their contrast on both a white and a near-black base.
_COLOURS = {
    Tone.GOOD: "#2e9d4f",
    Tone.IDLE: "#8a8f98",
    Tone.WARN: "#d08a12",
    Tone.BAD: "#d23c3c",
    Tone.INFO: "#3a7bd5",
}


def tone_colour(tone: Tone) -> QColor:
    return QColor(_COLOURS[tone])


def tint(widget: QWidget, tone: Tone) -> None:
    """Draws the widget's text in the tone's colour (the rest of its palette stays the
    system's)."""
    palette = widget.palette()
    palette.setColor(widget.foregroundRole(), tone_colour(tone))
    widget.setPalette(palette)


@cache
def dot_icon(tone: Tone, size: int = 12) -> QIcon:
    """A filled circle in the tone's colour, for tree rows and status labels."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(tone_colour(tone))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def room_tone(crashed: bool) -> Tone:
    """A room the server runs is good (green) wherever its state is shown: tree and details."""
    return Tone.BAD if crashed else Tone.GOOD


def peer_tone(state_name: str) -> Tone:
    """Maps a PeerState name ("CONNECTED", "DISCONNECTED", "CRASHED") to a tone."""
    return {"CONNECTED": Tone.GOOD, "DISCONNECTED": Tone.IDLE, "CRASHED": Tone.BAD}.get(
        state_name.upper(), Tone.IDLE
    )
