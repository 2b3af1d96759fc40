"""What a person would see cut off: button texts that do not fit their button, labels
whose text runs past their edge (or was shortened with "…"), and widgets hidden under the
edge of a parent that cannot scroll sideways. Used on the main window and every dialog."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QPushButton,
    QStyle,
    QToolButton,
    QWidget,
)

from voicepanel.ui.labels import ElidedLabel


def _shown_text(button: QAbstractButton) -> str:
    return button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def _padding(button: QAbstractButton) -> int:
    style = button.style()
    if isinstance(button, QPushButton):
        return 2 * style.pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, None, button)
    if isinstance(button, QToolButton):
        return 2 * style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, button)
    return 0


def _needed_width(widget: QWidget) -> int:
    """The width its text needs to show whole (0: nothing to check)."""
    if isinstance(widget, QAbstractButton):
        text = _shown_text(widget)
        if not text or (
            isinstance(widget, QToolButton)
            and widget.toolButtonStyle() == widget.toolButtonStyle().ToolButtonIconOnly
        ):
            return 0
        icon = widget.iconSize().width() + 4 if not widget.icon().isNull() else 0
        if isinstance(widget, QAbstractButton) and not isinstance(
            widget, QPushButton | QToolButton
        ):
            # Check boxes and radio buttons: the indicator, then the text.
            indicator = widget.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
            icon += indicator + 4
        return widget.fontMetrics().horizontalAdvance(text) + icon + _padding(widget)
    if isinstance(widget, QLabel) and not widget.wordWrap() and widget.text():
        if widget.textFormat() == widget.textFormat().RichText or "<" in widget.text():
            return widget.sizeHint().width()
        margins = widget.contentsMargins()
        extra = margins.left() + margins.right() + 2 * max(widget.margin(), 0)
        lines = widget.text().splitlines() or [""]
        return max(widget.fontMetrics().horizontalAdvance(line) for line in lines) + extra
    return 0


def _cut_sideways(widget: QWidget) -> tuple[int, str]:
    """How many pixels of ``widget``'s width its ancestors hide, and which one hid them
    first. Only the sides count: a scroll area hiding a row below the fold is scrolling,
    and one with a horizontal scroll bar showing may hide the sides too."""
    left = widget.mapToGlobal(widget.rect().topLeft()).x()
    right = left + widget.width()
    cutter = ""
    child, parent = widget, widget.parentWidget()
    while parent is not None and not child.isWindow():
        scroll = parent.parentWidget()
        scrolls_sideways = (
            isinstance(scroll, QAbstractScrollArea)
            and parent is scroll.viewport()
            and scroll.horizontalScrollBar().isVisible()
        )
        if not scrolls_sideways:
            edge = parent.mapToGlobal(parent.rect().topLeft()).x()
            narrower = max(left, edge), min(right, edge + parent.width())
            if narrower != (left, right) and not cutter:
                cutter = parent.objectName() or type(parent).__name__
            left, right = narrower
        child, parent = parent, parent.parentWidget()
    return widget.width() - max(0, right - left), cutter


def clipped_texts(window: QWidget) -> list[str]:
    """Every visible button or label in ``window`` whose text a person cannot read whole."""
    problems: list[str] = []
    for widget in [window, *window.findChildren(QWidget)]:
        if not isinstance(widget, QAbstractButton | QLabel) or not widget.isVisible():
            continue
        name = f"{type(widget).__name__} {widget.objectName() or ''} {widget.text()!r}".strip()
        if isinstance(widget, ElidedLabel) and widget.is_elided():
            problems.append(f"{name}: shortened with an ellipsis")
            continue
        hidden, cutter = _cut_sideways(widget)
        if hidden > 0:
            problems.append(f"{name}: {hidden} of {widget.width()} px hidden by {cutter}")
            continue
        needed = _needed_width(widget)
        if needed > widget.width():
            problems.append(f"{name}: needs {needed} px, has {widget.width()}")
    return problems


def off_screen(window: QWidget) -> str:
    """ "" when the whole window, frame included, is on its screen's available area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    if available.contains(frame):
        return ""
    return f"{window.objectName() or type(window).__name__} at {frame} is not inside {available}"
