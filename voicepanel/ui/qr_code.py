"""QR codes drawn crisp: segno encodes the text, each module becomes a whole square of
device pixels (no smoothing), with the four-module quiet zone scanners need."""

from __future__ import annotations

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_modules(text: str) -> list[list[bool]]:
    """The code's dark (True) and light modules, quiet zone excluded."""
    code = segno.make(text, error="m", micro=False)
    return [[bool(cell) for cell in row] for row in code.matrix]


def qr_image(text: str, max_px: int = 240, device_pixel_ratio: float = 1.0) -> QImage:
    """A black-on-white QR code of ``text`` at most ``max_px`` logical pixels wide, sharp
    on high-density screens too."""
    modules = qr_modules(text)
    side = len(modules) + 2 * QUIET_ZONE
    scale = max(1, int(max_px * device_pixel_ratio) // side)
    image = QImage(side * scale, side * scale, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                painter.drawRect((x + QUIET_ZONE) * scale, (y + QUIET_ZONE) * scale, scale, scale)
    painter.end()
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def qr_pixmap(text: str, max_px: int, device_pixel_ratio: float) -> QPixmap:
    return QPixmap.fromImage(qr_image(text, max_px, device_pixel_ratio))
