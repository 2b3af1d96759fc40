"""Who spoke when: the user's and the assistant's speech as bars on a scrolling time axis,
each reply delay drawn between the turns, interruptions and hangs marked; and every turn's
reply delay as VAPI saw it beside the voice-to-voice latency the local agent heard at its
speaker, in a table."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicepanel.ui.empty_state import EmptyHint
from voicepanel.ui.state_style import Tone, tone_colour

WINDOW_S = 30.0  # at most the seconds shown; older speech scrolls out to the left
MIN_WINDOW_S = 10.0  # at least: a call's first turns are not squeezed to the right edge
LABEL_W = 70
LANE_H = 16
REPAINT_MS = 100  # at most ten repaints a second, however fast the events come
TABLE_COLUMNS = ("Turn", "User stopped", "Reply delay (VAPI)", "At the speaker")


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


class TimelineStrip(QWidget):
    """The two lanes. Drawn into a picture at most ten times a second from the conversation;
    a repaint (a resize, another window moving over it) only copies that picture."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turnTimeline")
        self.setMinimumHeight(2 * LANE_H + 26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.conversation: Any = None
        self.now: float | None = None  # None: the wall clock (tests and screenshots fix it)
        self._picture: QPixmap | None = None
        self._redraw = QTimer(self, singleShot=True, interval=REPAINT_MS)
        self._redraw.timeout.connect(self.redraw)

    def schedule(self) -> None:
        """Redraws soon: a burst of changes costs one drawing."""
        if not self._redraw.isActive():
            self._redraw.start()

    def redraw(self) -> None:
        self._picture = None
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        ratio = self.devicePixelRatioF()
        size = self.size() * ratio
        if self._picture is None or self._picture.size() != size:
            picture = QPixmap(size)
            picture.setDevicePixelRatio(ratio)
            picture.fill(Qt.GlobalColor.transparent)
            self._draw(QPainter(picture))
            self._picture = picture
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        painter.end()

    def _draw(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        width = self.width() - LABEL_W - 4
        top = 4
        lanes = {"user": top, "assistant": top + LANE_H + 6}
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        painter.setFont(small)
        painter.setPen(palette.color(palette.ColorRole.WindowText))
        for role, y in lanes.items():
            painter.drawText(
                QRectF(0, y, LABEL_W - 6, LANE_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                role.capitalize(),
            )
        base = palette.color(palette.ColorRole.Mid)
        for y in lanes.values():
            painter.fillRect(QRectF(LABEL_W, y + LANE_H / 2, width, 1), base)
        conversation = self.conversation
        if conversation is None or not conversation.spans:
            painter.end()
            return
        now = self.now if self.now is not None else time.time()
        if conversation.ended:
            now = max((s.end or s.start) for s in conversation.spans)
        first = conversation.spans[0].start
        window = min(WINDOW_S, max(MIN_WINDOW_S, now - first + 1.0))
        start = now - window
        scale = width / window

        def x(at: Any) -> Any:  # a time, or an array of times, to pixels
            return LABEL_W + np.clip((np.asarray(at) - start) * scale, 0.0, width)

        self._draw_speech(painter, conversation, lanes, x, start, now)
        self._draw_delays(painter, conversation, lanes, x, start)
        painter.setPen(QPen(tone_colour(Tone.BAD), 1.5))
        for hang in conversation.hangs:
            if hang >= start:
                painter.drawLine(int(x(hang)), top, int(x(hang)), lanes["assistant"] + LANE_H)
        painter.end()

    def _draw_speech(
        self,
        painter: QPainter,
        conversation: Any,
        lanes: dict[str, int],
        x: Any,
        start: float,
        now: float,
    ) -> None:
        colours = {"user": tone_colour(Tone.INFO), "assistant": tone_colour(Tone.GOOD)}
        spans = _recent(conversation.spans, start, lambda s: s.start)
        for role, y in lanes.items():
            mine = [s for s in spans if s.role == role]
            closed = [s for s in mine if s.end is not None]
            starts = np.fromiter((s.start for s in closed), float, len(closed))
            ends = np.fromiter((s.end for s in closed), float, len(closed))
            for left, right in _bars(x(starts), x(ends)):
                painter.fillRect(
                    QRectF(left, y + 2, max(2.0, right - left), LANE_H - 4), colours[role]
                )
            for span in mine:
                if span.end is not None and not span.interrupted:
                    continue
                right = x(span.end if span.end is not None else now)
                if span.end is None:  # still speaking: a lighter bar to now
                    left = x(span.start)
                    painter.fillRect(
                        QRectF(left, y + 2, max(2.0, right - left), LANE_H - 4),
                        QColor(colours[role]).lighter(125),
                    )
                if span.interrupted:
                    painter.fillRect(QRectF(right - 3, y, 3, LANE_H), tone_colour(Tone.BAD))

    def _draw_delays(
        self, painter: QPainter, conversation: Any, lanes: dict[str, int], x: Any, start: float
    ) -> None:
        delay_pen = QPen(tone_colour(Tone.WARN))
        delay_pen.setWidthF(1.5)
        painter.setPen(delay_pen)
        metrics = painter.fontMetrics()
        mid = lanes["user"] + LANE_H + 3
        label_y = lanes["assistant"] + LANE_H
        turns = [
            t
            for t in _recent(conversation.turns, start, lambda t: t.user_stopped_at)
            if t.reply_started_at >= start
        ]
        lefts = x(np.fromiter((t.user_stopped_at for t in turns), float, len(turns)))
        rights = x(np.fromiter((t.reply_started_at for t in turns), float, len(turns)))
        for left, right in _bars(lefts, rights):
            painter.drawLine(int(left), int(mid), int(right), int(mid))
        free_from = 0.0  # a label is drawn only where the last one ended: none overlap
        for turn, left in zip(turns, lefts.tolist(), strict=True):
            if left < free_from:
                continue
            heard = f" · {turn.local_latency_s:.2f}" if turn.local_latency_s is not None else ""
            label = f"{turn.reply_delay_s:.2f}{heard} s"
            advance = metrics.horizontalAdvance(label)
            at = min(left, self.width() - advance - 2)  # the newest label stays in view
            if at < free_from:
                continue
            painter.drawText(
                QRectF(at, label_y, advance + 2, 14), Qt.AlignmentFlag.AlignLeft, label
            )
            free_from = at + advance + 6


def _bars(lefts: np.ndarray, rights: np.ndarray) -> list[tuple[float, float]]:
    """Pixel extents, in time order, merged where less than a pixel apart: a long, busy
    call costs at most a bar per pixel, not one per span."""
    if not len(lefts):
        return []
    reach = np.maximum.accumulate(rights)
    starts_bar = np.empty(len(lefts), dtype=bool)
    starts_bar[0] = True
    starts_bar[1:] = lefts[1:] > reach[:-1] + 1.0
    firsts = np.flatnonzero(starts_bar)
    return list(
        zip(lefts[firsts].tolist(), np.maximum.reduceat(rights, firsts).tolist(), strict=True)
    )


def _recent(items: list[Any], start: float, began: Any) -> list[Any]:
    """The tail of ``items`` (in time order) that may reach past ``start``: a long call's
    paint looks at the last few, not at every span since it began."""
    first = len(items)
    while first > 0 and began(items[first - 1]) >= start - WINDOW_S:
        first -= 1
    return items[first:]


class TurnTimeline(QWidget):
    """The strip and a one-line summary; ``show_conversation`` after each change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.strip = TimelineStrip()
        layout.addWidget(self.strip)
        self.summary = QLabel()
        self.summary.setObjectName("turnSummary")
        self.summary.setWordWrap(True)
        # Two lines always: its text changes each turn, its height never (no relayout).
        self.summary.setFixedHeight(2 * self.summary.fontMetrics().lineSpacing() + 2)
        layout.addWidget(self.summary)

    def show_conversation(self, conversation: Any) -> None:
        self.strip.conversation = conversation
        self.strip.schedule()
        self.summary.setText(turn_summary(conversation.turns))

    def tick(self) -> None:
        """Redraws open speech growing (the card calls it while someone speaks)."""
        self.strip.schedule()


def turn_summary(turns: list[Any]) -> str:
    """The reply delays in one line: the last turn's and the median, by VAPI and heard."""
    if not turns:
        return "Reply delays appear after the first turn."
    last = turns[-1]
    local = [t.local_latency_s for t in turns if t.local_latency_s is not None]
    text = (
        f"Reply delay (VAPI): last {seconds(last.reply_delay_s)}, median "
        f"{seconds(statistics.median(t.reply_delay_s for t in turns))}"
    )
    if local:
        text += (
            f" · at the speaker: last {seconds(last.local_latency_s)}, median "
            f"{seconds(statistics.median(local))}"
        )
    return text


class TurnTable(QTableWidget):
    """Every turn's delays, newest last."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(TABLE_COLUMNS), parent)
        self.setObjectName("turnTable")
        self.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)  # measuring rows costs
        header.resizeSection(0, 44)
        EmptyHint(self, "Each turn appears here when the assistant answers the user.")
        self._shown: list[Any] = []

    def show_conversation(self, conversation: Any) -> None:
        turns = conversation.turns
        if len(self._shown) > len(turns):
            self.setRowCount(0)
            self._shown = []
        # Only new turns and turns that changed (a local latency arriving) are written.
        changed = [i for i, t in enumerate(self._shown) if turns[i] is not t]
        changed += range(len(self._shown), len(turns))
        if not changed:
            return
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.setRowCount(len(turns))
        self._shown = list(turns)
        for row in changed:
            turn = turns[row]
            cells = (
                str(turn.index),
                time.strftime("%H:%M:%S", time.localtime(turn.user_stopped_at)),
                seconds(turn.reply_delay_s),
                seconds(turn.local_latency_s),
            )
            for column, text in enumerate(cells):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    align = (
                        Qt.AlignmentFlag.AlignRight if column >= 2 else Qt.AlignmentFlag.AlignLeft
                    )
                    item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
                    self.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
        if at_bottom:
            self.scrollToBottom()
