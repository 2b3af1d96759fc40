"""The pieces of presenter mode: a tile per speaker (name, state in colour and word, level
meter), the transcript in large type, and the last turns' latency. They draw what they
are given; presenter_window.py decides what that is."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from voicepanel.session.conversation import Speaker
from voicepanel.ui.meter_bar import MeterBar
from voicepanel.ui.presenter_model import Activity, TurnLatency, seconds
from voicepanel.ui.presenter_theme import COLOURS, PresenterTheme
from voicepanel.ui.state_style import Tone

TRANSCRIPT_LINES = 30  # the newest lines kept in the view; older ones scrolled away anyway
TILE_BORDER_PX = 3


class SpeakerTile(QFrame):
    """One side of the conversation: who, what they are doing, how loud."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterTile")
        self.setAccessibleName(object_name)
        self.name = QLabel()
        self.name.setObjectName("tileName")
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

    def apply_theme(self, theme: PresenterTheme, base: int) -> None:
        self._theme = theme
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

    def show_activity(self, activity: Activity) -> None:
        if activity is self.activity:
            return
        self.activity = activity
        colours = COLOURS[self._theme]
        colour = colours.tones[activity.tone]
        self.state.setText(f"<span style='color:{colour}'>●&nbsp;{activity.word}</span>")
        # The border lights up while this side speaks: seen from across a room.
        edge = colour if activity is Activity.SPEAKING else colours.border
        self.setStyleSheet(f"QFrame#presenterTile {{ border: {TILE_BORDER_PX}px solid {edge}; }}")

    def show_level(self, rms_dbfs: float, peak_dbfs: float) -> None:
        self.meter.set_level(rms_dbfs, peak_dbfs)

    def show_note(self, text: str) -> None:
        """A sentence under the meter (what to do to see more), or nothing."""
        if self.note.text() != text:
            self.note.setText(text)
            self.note.setVisible(bool(text))


class TranscriptPane(QTextEdit):
    """The conversation in large type: final lines, then each line still being heard, in
    italics, replaced by its final words when they come. Always shows the newest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterTranscript")
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._html = ""
        self._shown: tuple[Sequence[Any], Sequence[Any], str, str] | None = None
        self._theme = PresenterTheme.DARK

    def apply_theme(self, theme: PresenterTheme) -> None:
        self._theme = theme
        self._html = ""  # the colours are in the HTML: the next show draws it again

    def show_lines(
        self, lines: Sequence[Any], partials: Sequence[Any], assistant: str, empty: str
    ) -> None:
        """``lines`` final, ``partials`` still being heard; ``assistant`` names the
        assistant's lines; ``empty`` says what to do while there is nothing."""
        self._shown = (lines, partials, assistant, empty)
        colours = COLOURS[self._theme]
        if not lines and not partials:
            body = f"<p style='color:{colours.muted}'>{html.escape(empty)}</p>"
        else:
            names = {
                Speaker.USER: ("User", colours.user),
                Speaker.ASSISTANT: (assistant, colours.assistant),
            }
            rows = []
            for line in [*lines[-TRANSCRIPT_LINES:], *partials]:
                who, colour = names.get(line.role, (str(line.role), colours.text))
                text = html.escape(line.text)
                if not line.final:
                    text = f"<i style='color:{colours.muted}'>{text}…</i>"
                rows.append(
                    f"<p style='margin-bottom:0.45em'><b style='color:{colour}'>"
                    f"{html.escape(who)}</b>&nbsp;&nbsp;{text}</p>"
                )
            body = "".join(rows)
        if body == self._html:
            return
        self._html = body
        self.setHtml(body)
        self._drop_what_does_not_fit()

    def _drop_what_does_not_fit(self) -> None:
        """Drops the oldest lines until the rest fit: the newest line is always in view,
        and the top line is whole, never cut in half."""
        document = self.document()
        document.setTextWidth(self.viewport().width())
        room = self.viewport().height()
        while document.blockCount() > 1 and document.size().height() > room:
            cursor = QTextCursor(document.firstBlock())
            cursor.movePosition(
                QTextCursor.MoveOperation.NextBlock, QTextCursor.MoveMode.KeepAnchor
            )
            cursor.removeSelectedText()
        self.verticalScrollBar().setValue(0)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._html = ""
        if self._shown is not None:
            self.show_lines(*self._shown)  # fit them again


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
