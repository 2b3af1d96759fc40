"""The pieces of presenter mode: a tile per speaker (name, state in colour and word, level
meter), the transcript in large type, and the last turns' latency. They draw what they
are given; presenter_window.py decides what that is.

The tile's edge and the transcript are painted, not styled: a change of state or a new
line is one repaint of that widget, never a style sheet polished again or a text
document laid out again, so a flood of live events costs the window little.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from voicepanel.session.conversation import Speaker
from voicepanel.ui.meter_bar import MeterBar
from voicepanel.ui.presenter_model import Activity, TurnLatency, seconds
from voicepanel.ui.presenter_theme import COLOURS, Colours, PresenterTheme
from voicepanel.ui.state_style import Tone

TRANSCRIPT_LINES = 30  # the newest lines considered; fewer ever fit
TILE_BORDER_PX = 3
NAME_SHARE = 0.3  # the widest the speakers' name column may be, of the transcript's width


class SpeakerTile(QWidget):
    """One side of the conversation: who, what they are doing, how loud."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterTile")
        self.setAccessibleName(object_name)
        self.name = QLabel()
        self.name.setObjectName("tileName")
        self.name.setWordWrap(True)  # a long assistant name takes two lines, never cut
        self.state = QLabel()
        self.state.setObjectName("tileState")
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.meter = MeterBar()
        self.meter.setObjectName("tileMeter")
        self.note = QLabel()
        self.note.setObjectName("tileNote")
        self.note.setWordWrap(True)
        self.note.hide()
        column = QVBoxLayout(self)
        column.addWidget(self.name)
        column.addWidget(self.state)
        column.addWidget(self.meter)
        column.addWidget(self.note)
        column.addStretch(1)
        self.activity: Activity | None = None
        self._theme = PresenterTheme.DARK
        self._radius = 8

    def apply_theme(self, theme: PresenterTheme, base: int) -> None:
        self._theme = theme
        self._radius = base // 2
        margin = base
        self.layout().setContentsMargins(margin, round(margin * 0.8), margin, round(margin * 0.8))
        self.layout().setSpacing(round(base * 0.5))
        self.meter.setFixedHeight(round(base * 0.9))
        colours = COLOURS[theme]
        self.meter.set_colours(
            QColor(colours.trough),
            QColor(colours.text),
            QColor(colours.border),
            QColor(colours.tones[Tone.GOOD]),
        )
        activity, self.activity = self.activity, None
        if activity is not None:
            self.show_activity(activity)
        self.update()

    def show_activity(self, activity: Activity) -> None:
        if activity is self.activity:
            return
        self.activity = activity
        colour = COLOURS[self._theme].tones[activity.tone]
        self.state.setText(f"<span style='color:{colour}'>●&nbsp;{activity.word}</span>")
        self.update()  # the edge

    def show_level(self, rms_dbfs: float, peak_dbfs: float) -> None:
        self.meter.set_level(rms_dbfs, peak_dbfs)

    def show_name(self, text: str) -> None:
        if self.name.text() != text:
            self.name.setText(text)

    def show_note(self, text: str) -> None:
        """A sentence under the meter (what to do to see more), or nothing."""
        if self.note.text() != text:
            self.note.setText(text)
            self.note.setVisible(bool(text))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        colours = COLOURS[self._theme]
        # The edge lights up while this side speaks: seen from across a room.
        speaking = self.activity is Activity.SPEAKING
        edge = colours.tones[Tone.GOOD] if speaking else colours.border
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(edge), TILE_BORDER_PX))
        painter.setBrush(QColor(colours.panel))
        inset = TILE_BORDER_PX / 2
        rect = QRectF(self.rect()).adjusted(inset, inset, -inset, -inset)
        painter.drawRoundedRect(rect, self._radius, self._radius)
        painter.end()


@dataclass(frozen=True)
class _Entry:
    who: str
    colour: str
    text: str
    hearing: bool  # still being heard: italics, muted, "…"


class TranscriptPane(QWidget):
    """The conversation in large type: final lines, then each line still being heard, in
    italics, replaced by its final words when they come. Speakers' names in a column of
    their own, in their colours; the newest line always in view, the top line whole."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterTranscript")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._theme = PresenterTheme.DARK
        self._base = 16
        self._entries: list[_Entry] = []
        self._empty = ""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, 200)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(200, 3 * self._base)

    def apply_theme(self, theme: PresenterTheme, base: int) -> None:
        self._theme = theme
        self._base = base
        font = QFont(self.font())
        font.setPixelSize(round(base * 1.35))
        self.setFont(font)
        self.update()

    def show_lines(
        self, lines: Sequence[Any], partials: Sequence[Any], assistant: str, empty: str
    ) -> None:
        """``lines`` final, ``partials`` still being heard; ``assistant`` names the
        assistant's lines; ``empty`` says what to do while there is nothing."""
        colours = COLOURS[self._theme]
        names = {
            Speaker.USER: ("User", colours.user),
            Speaker.ASSISTANT: (assistant, colours.assistant),
        }
        entries = []
        for line in [*lines[-TRANSCRIPT_LINES:], *partials]:
            who, colour = names.get(line.role, (str(line.role), colours.text))
            entries.append(_Entry(who, colour, line.text, not line.final))
        if entries != self._entries or empty != self._empty:
            self._entries, self._empty = entries, empty
            self.update()

    def plain_text(self) -> str:
        """What the pane shows now, a line per entry ("User  I want fifteen")."""
        if not self._entries:
            return self._empty
        fitting, _ = self._layout(self._text_rect())
        return "\n".join(f"{e.who}  {e.text}" for e, _h in fitting)

    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        plain = QFont(self.font())
        bold = QFont(plain)
        bold.setBold(True)
        italic = QFont(plain)
        italic.setItalic(True)
        return plain, bold, italic

    def _text_rect(self) -> QRect:
        pad = round(self._base * 0.8)
        return self.rect().adjusted(pad, pad, -pad, -pad)

    def _layout(self, area: QRect) -> tuple[list[tuple[_Entry, int]], int]:
        """The newest entries that fit in ``area``, oldest first, with their heights, and
        the width of the names' column."""
        plain, bold, italic = self._fonts()
        names = QFontMetrics(bold)
        widest = max((names.horizontalAdvance(e.who) for e in self._entries), default=0)
        gap = self._base
        name_width = min(widest, round(area.width() * NAME_SHARE)) + gap
        text_width = max(1, area.width() - name_width)
        spacing = round(self._base * 0.5)
        fitting: list[tuple[_Entry, int]] = []
        used = 0
        for entry in reversed(self._entries):
            metrics = QFontMetrics(italic if entry.hearing else plain)
            bounds = QRect(0, 0, text_width, 100_000)
            height = metrics.boundingRect(bounds, Qt.TextFlag.TextWordWrap, _shown(entry)).height()
            if fitting and used + height > area.height():
                break
            fitting.append((entry, height))
            used += height + spacing
        fitting.reverse()
        return fitting, name_width

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        colours: Colours = COLOURS[self._theme]
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colours.border), 1))
        painter.setBrush(QColor(colours.panel))
        radius = self._base // 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        area = self._text_rect()
        plain, bold, italic = self._fonts()
        wrap = Qt.TextFlag.TextWordWrap
        if not self._entries:
            painter.setFont(plain)
            painter.setPen(QColor(colours.muted))
            painter.drawText(area, int(wrap), self._empty)
            painter.end()
            return
        fitting, name_width = self._layout(area)
        names = QFontMetrics(bold)
        spacing = round(self._base * 0.5)
        y = area.top()
        for entry, height in fitting:
            painter.setFont(bold)
            painter.setPen(QColor(entry.colour))
            who = names.elidedText(entry.who, Qt.TextElideMode.ElideRight, name_width - self._base)
            painter.drawText(QRect(area.left(), y, name_width, height), 0, who)
            painter.setFont(italic if entry.hearing else plain)
            painter.setPen(QColor(colours.muted if entry.hearing else colours.text))
            box = QRect(area.left() + name_width, y, area.width() - name_width, height)
            painter.drawText(box, int(wrap), _shown(entry))
            y += height + spacing
        painter.end()


def _shown(entry: _Entry) -> str:
    return f"{entry.text}…" if entry.hearing else entry.text


class LatencyStrip(QFrame):
    """The last turns' latency, newest on the right: VAPI's reply delay, and voice to
    voice at this computer's speaker when a local agent measured it."""

    def __init__(self, cells: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterLatency")
        self.title = QLabel("Latency, last turns")
        self.title.setObjectName("latencyTitle")
        self.empty = QLabel("Each turn's reply delay appears here once the assistant answers.")
        self.empty.setObjectName("latencyTurn")
        self.empty.setWordWrap(True)
        self.grid = QGridLayout()
        self.cells: list[tuple[QLabel, QLabel, QLabel]] = []
        for column in range(cells):
            turn, vapi, heard = QLabel(), QLabel(), QLabel()
            turn.setObjectName("latencyTurn")
            for value in (vapi, heard):
                value.setObjectName("latencyValue")
                value.setTextFormat(Qt.TextFormat.RichText)
            for row, label in enumerate((turn, vapi, heard)):
                self.grid.addWidget(label, row, column)
                label.hide()
            self.grid.setColumnStretch(column, 1)
            self.cells.append((turn, vapi, heard))
        column_ = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        column_.addLayout(head)
        column_.addWidget(self.empty)
        column_.addLayout(self.grid)
        self._theme = PresenterTheme.DARK
        self._rows: list[TurnLatency] | None = None

    def apply_theme(self, theme: PresenterTheme, base: int) -> None:
        self._theme = theme
        self.layout().setContentsMargins(base, round(base * 0.6), base, round(base * 0.6))
        self.grid.setHorizontalSpacing(base)
        rows, self._rows = self._rows, None
        if rows is not None:
            self.show_turns(rows)

    def show_turns(self, rows: Sequence[TurnLatency]) -> None:
        rows = list(rows)
        if rows == self._rows:
            return
        self._rows = rows
        muted = COLOURS[self._theme].muted
        self.empty.setVisible(not rows)
        for index, (turn, vapi, heard) in enumerate(self.cells):
            row = rows[index] if index < len(rows) else None
            for label in (turn, vapi, heard):
                label.setVisible(row is not None)
            if row is None:
                continue
            turn.setText(f"Turn {row.index}")
            vapi.setText(_value(row.reply_delay_s, "VAPI", muted))
            heard.setText(_value(row.voice_to_voice_s, "heard here", muted))
            heard.setVisible(row.voice_to_voice_s is not None)
            vapi.setVisible(row.reply_delay_s is not None)


def _value(value: float | None, what: str, muted: str) -> str:
    return f"{seconds(value)} <span style='color:{muted}; font-weight:400'>{what}</span>"
