"""Who spoke when: the user's and the assistant's speech as bars on a scrolling time axis,
each reply delay drawn between the turns, interruptions and hangs marked; and under it,
each turn's reply delay as VAPI saw it beside the voice-to-voice latency the local agent
heard at its speaker."""

from __future__ import annotations

import statistics
import time
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from voicepanel.ui.state_style import Tone, tone_colour

WINDOW_S = 30.0  # the seconds shown; older speech scrolls out to the left
LABEL_W = 70
LANE_H = 16
TURNS_SHOWN = 4


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


class TimelineStrip(QWidget):
    """The two lanes, repainted from the conversation on each change and while speaking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turnTimeline")
        self.setMinimumHeight(2 * LANE_H + 26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.conversation: Any = None
        self.now: float | None = None  # None: the wall clock (tests and screenshots fix it)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
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
        start = now - WINDOW_S

        def x(at: float) -> float:
            return LABEL_W + max(0.0, min(1.0, (at - start) / WINDOW_S)) * width

        colours = {"user": tone_colour(Tone.INFO), "assistant": tone_colour(Tone.GOOD)}
        for span in conversation.spans:
            end = span.end if span.end is not None else now
            if end < start:
                continue
            y = lanes[span.role.value]
            rect = QRectF(x(span.start), y + 2, max(2.0, x(end) - x(span.start)), LANE_H - 4)
            colour = QColor(colours[span.role.value])
            if span.end is None:
                colour = colour.lighter(125)
            painter.fillRect(rect, colour)
            if span.interrupted:
                painter.fillRect(QRectF(rect.right() - 3, y, 3, LANE_H), tone_colour(Tone.BAD))
        delay_pen = QPen(tone_colour(Tone.WARN))
        delay_pen.setWidthF(1.5)
        mid = lanes["user"] + LANE_H + 3
        for turn in conversation.turns:
            if turn.reply_started_at < start:
                continue
            left, right = x(turn.user_stopped_at), x(turn.reply_started_at)
            painter.setPen(delay_pen)
            painter.drawLine(int(left), int(mid), int(right), int(mid))
            painter.drawText(
                QRectF(left, lanes["assistant"] + LANE_H, max(60.0, right - left), 14),
                Qt.AlignmentFlag.AlignLeft,
                f"{turn.reply_delay_s * 1000:.0f} ms",
            )
        painter.setPen(QPen(tone_colour(Tone.BAD), 1.5))
        for hang in conversation.hangs:
            if hang >= start:
                painter.drawLine(int(x(hang)), top, int(x(hang)), lanes["assistant"] + LANE_H)
        painter.end()


class TurnTimeline(QWidget):
    """The strip and the turn table; ``show_conversation`` after each change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.strip = TimelineStrip()
        layout.addWidget(self.strip)
        self.turns = QLabel()
        self.turns.setObjectName("turnDelays")
        self.turns.setTextFormat(Qt.TextFormat.RichText)
        self.turns.setWordWrap(True)
        layout.addWidget(self.turns)

    def show_conversation(self, conversation: Any) -> None:
        self.strip.conversation = conversation
        self.strip.update()
        self.turns.setText(turn_table(conversation.turns))

    def tick(self) -> None:
        """Redraws open speech growing (the card calls it while someone speaks)."""
        self.strip.update()


def turn_table(turns: list[Any]) -> str:
    """The last turns' delays, and the median of all, as a small HTML table."""
    if not turns:
        return "<i>Reply delays appear after the first turn.</i>"
    head = (
        "<tr><th align='left'>Turn</th><th align='right'>&nbsp;Reply delay (VAPI)</th>"
        "<th align='right'>&nbsp;At the speaker</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{t.index}</td><td align='right'>{seconds(t.reply_delay_s)}</td>"
        f"<td align='right'>{seconds(t.local_latency_s)}</td></tr>"
        for t in turns[-TURNS_SHOWN:]
    )
    local = [t.local_latency_s for t in turns if t.local_latency_s is not None]
    median = (
        f"<tr><td><i>median</i></td>"
        f"<td align='right'><i>{seconds(statistics.median(t.reply_delay_s for t in turns))}</i>"
        f"</td><td align='right'><i>{seconds(statistics.median(local) if local else None)}</i>"
        "</td></tr>"
    )
    return f"<table cellspacing='0' cellpadding='1'>{head}{rows}{median}</table>"
