"""Where a top-level window opens: whole, on the screen's available area (inside panels and
docks), never partly off-screen, whatever size it asked for or remembered.

Every window and dialog goes through ``fit_on_screen`` when it is shown: the main window
after restoring its geometry, dialogs in ``run_dialog``, the agent window when it opens.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

# A window manager's frame before the window is first mapped (Qt learns the real one only
# then): a title bar and thin borders, generous enough for the common desktops.
ASSUMED_FRAME = QMargins(4, 32, 4, 4)
FRAME_WAIT_MS = 20  # how often, and how many times, to look for the real frame once shown
FRAME_WAIT_TRIES = 25


def fitted_rect(want: QRect, frame: QMargins, available: QRect, minimum: QSize) -> QRect:
    """The client rectangle closest to ``want`` whose frame lies inside ``available``:
    shrunk to fit (not below ``minimum`` unless the screen is smaller still), then moved in."""
    room_w = available.width() - frame.left() - frame.right()
    room_h = available.height() - frame.top() - frame.bottom()
    width = min(want.width(), max(room_w, 1))
    height = min(want.height(), max(room_h, 1))
    width = max(width, min(minimum.width(), room_w))
    height = max(height, min(minimum.height(), room_h))
    left_limit = available.left() + frame.left()
    top_limit = available.top() + frame.top()
    right_limit = available.right() - frame.right() - width + 1
    bottom_limit = available.bottom() - frame.bottom() - height + 1
    x = max(left_limit, min(want.x(), right_limit))
    y = max(top_limit, min(want.y(), bottom_limit))
    return QRect(x, y, width, height)


def reframed_rect(
    fitted: QRect, assumed: QMargins, real: QMargins, want: QSize, available: QRect, minimum: QSize
) -> QRect:
    """Where a window fitted with the ``assumed`` frame goes once its ``real`` frame is
    known: its frame's corner stays where fitting put it (a window manager keeps the client
    where it was asked, so a thinner title bar than assumed would leave the frame low), and
    the size is fitted again from ``want`` with the real frame."""
    corner = fitted.topLeft() - QPoint(assumed.left(), assumed.top())
    moved = QRect(corner + QPoint(real.left(), real.top()), want)
    return fitted_rect(moved, real, available, minimum)


def _frame_margins(window: QWidget) -> QMargins:
    frame, client = window.frameGeometry(), window.geometry()
    margins = QMargins(
        client.left() - frame.left(),
        client.top() - frame.top(),
        frame.right() - client.right(),
        frame.bottom() - client.bottom(),
    )
    known = window.isVisible() and not margins.isNull()
    offscreen = QGuiApplication.platformName() == "offscreen"
    return margins if known or offscreen else ASSUMED_FRAME


def _screen_for(window: QWidget) -> QScreen:
    parent = window.parentWidget()
    anchor = parent.window() if parent is not None else window
    screen = anchor.screen() or QGuiApplication.primaryScreen()
    assert screen is not None
    return screen


class _RefitWhenFramed(QObject):
    """Fits the window once more when it is first shown: only then does Qt know the real
    frame the window manager put around it (often only a moment after the window shows)."""

    def __init__(self, window: QWidget, fitted: QRect, assumed: QMargins, want: QSize) -> None:
        super().__init__(window)
        self._fitted, self._assumed, self._want = fitted, assumed, want
        self._tries = FRAME_WAIT_TRIES

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, lambda: self._refit(watched))
        return False

    def _refit(self, window: QWidget) -> None:
        real = _frame_margins(window)
        if real == ASSUMED_FRAME and self._tries > 0 and window.isVisible():
            self._tries -= 1  # not framed yet: the window manager answers asynchronously
            QTimer.singleShot(FRAME_WAIT_MS, self, lambda: self._refit(window))
            return
        if window.geometry() == self._fitted:  # nobody moved it meanwhile
            placed = reframed_rect(
                self._fitted,
                self._assumed,
                real,
                self._want,
                _screen_for(window).availableGeometry(),
                window.minimumSize(),
            )
            if placed != window.geometry():
                window.setGeometry(placed)
        else:
            _fit(window)
        self.deleteLater()


def fit_on_screen(window: QWidget, *, center_on_parent: bool = False) -> None:
    """Resizes and moves the top-level ``window`` so all of it, frame included, is on its
    screen's available area, now and again once shown (when the real frame is known). A
    window not yet sized gets its preferred size first; ``center_on_parent`` places it over
    the middle of its parent window."""
    if not window.testAttribute(Qt.WidgetAttribute.WA_Resized):
        window.adjustSize()
    want = QRect(window.geometry())
    parent = window.parentWidget()
    if center_on_parent and parent is not None:
        middle = parent.window().frameGeometry().center()
        want.moveCenter(QPoint(middle.x(), middle.y()))
    frame = _frame_margins(window)
    fitted = _fit(window, want)
    if not window.isVisible():
        window.installEventFilter(_RefitWhenFramed(window, fitted, frame, want.size()))


def _fit(window: QWidget, want: QRect | None = None) -> QRect:
    screen = _screen_for(window)
    fitted = fitted_rect(
        want or window.geometry(),
        _frame_margins(window),
        screen.availableGeometry(),
        window.minimumSize(),
    )
    if fitted != window.geometry():
        window.setGeometry(fitted)
    return fitted
