"""The live transcript of a call: final lines as they come, the line still being heard in
grey below them, a search that highlights every match, and Copy."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicepanel.ui.state_style import Tone, tone_colour

ROLE_NAMES = {"user": "User", "assistant": "Assistant"}
ROLE_TONES = {"user": Tone.INFO, "assistant": Tone.GOOD}


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def line_text(line: Any) -> str:
    """One line as Copy gives it: "12:04:31  User: I want fifteen"."""
    return f"{clock(line.at)}  {ROLE_NAMES.get(line.role.value, line.role.value)}: {line.text}"


WAITING_FOR_WORDS = "The transcript appears here as the call goes."
NOBODY_SPOKE = "Nobody spoke in this call: it ended before a word was heard."


class TranscriptView(QWidget):
    """Shows a Conversation's transcript; ``show(conversation)`` after each change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("transcriptSearch")
        self.search.setPlaceholderText("Search the transcript")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._highlight)
        self.matches = QLabel()
        self.matches.setObjectName("transcriptMatches")
        self.copy_button = QToolButton()
        self.copy_button.setObjectName("transcriptCopy")
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the whole transcript, with times")
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.search, 1)
        row.addWidget(self.matches)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        self.text = _CompactText()
        self.text.setObjectName("liveTranscript")
        self.text.setReadOnly(True)
        self.text.setMinimumHeight(80)
        self.text.setPlaceholderText(WAITING_FOR_WORDS)
        layout.addWidget(self.text, 1)
        # One line, always there: a line being heard comes and goes many times a second,
        # and a label that appears or wraps would lay the whole card out again each time.
        self.hearing = QLabel()
        self.hearing.setObjectName("transcriptHearing")
        self.hearing.setTextFormat(Qt.TextFormat.RichText)
        self.hearing.setFixedHeight(self.hearing.fontMetrics().height() + 2)
        layout.addWidget(self.hearing)
        self._shown = 0  # final lines already in the text
        self._lines: list[Any] = []  # the conversation's final lines (its own list)
        self._hearing = ""

    def show_conversation(self, conversation: Any) -> None:
        """Appends the final lines not shown yet and replaces the lines being heard."""
        lines = conversation.lines
        if len(lines) < self._shown:  # another conversation: start again
            self.text.clear()
            self._shown = 0
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        for line in lines[self._shown :]:
            self.text.appendHtml(_line_html(line))
        added = len(lines) - self._shown
        self._shown = len(lines)
        self._lines = lines
        if added and at_bottom:
            bar.setValue(bar.maximum())
        if added and self.search.text():
            self._highlight(self.search.text())
        hearing = " · ".join(
            f"{ROLE_NAMES.get(p.role.value, p.role.value)} (still speaking): {_tail(p.text)}…"
            for p in conversation.partials.values()
        )
        if hearing != self._hearing:
            self._hearing = hearing
            colour = tone_colour(Tone.IDLE).name()
            self.hearing.setText(
                f"<i style='color:{colour}'>{html.escape(hearing)}</i>" if hearing else ""
            )

    def show_ended(self, ended: bool) -> None:
        """An ended call's empty transcript says so, instead of waiting for words."""
        self.text.setPlaceholderText(NOBODY_SPOKE if ended else WAITING_FOR_WORDS)

    def plain_text(self) -> str:
        return "\n".join(line_text(line) for line in self._lines[: self._shown])

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_text())

    def _highlight(self, needle: str) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        document = self.text.document()
        if needle:
            marked = QTextCharFormat()
            marked.setBackground(QColor("#f5d76e"))
            marked.setForeground(QColor("#000000"))
            cursor = QTextCursor(document)
            while True:
                cursor = document.find(needle, cursor, QTextDocument.FindFlag(0))
                if cursor.isNull():
                    break
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor  # type: ignore[attr-defined]
                selection.format = marked  # type: ignore[attr-defined]
                selections.append(selection)
        self.text.setExtraSelections(selections)
        if selections:
            self.text.setTextCursor(selections[0].cursor)  # type: ignore[attr-defined]
            self.text.ensureCursorVisible()
        count = len(selections)
        self.matches.setText("" if not needle else f"{count} match" + ("" if count == 1 else "es"))

    @property
    def match_count(self) -> int:
        return len(self.text.extraSelections())


def _tail(text: str, keep: int = 60) -> str:
    """The newest words of a line being heard, so one line holds them."""
    return text if len(text) <= keep else "…" + text[-keep:].split(" ", 1)[-1]


class _CompactText(QPlainTextEdit):
    """Asks for a few lines' height: the card's other parts stay in view in a short dock,
    and the text grows when the dock is tall."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(300, 120)


def _line_html(line: Any) -> str:
    role = line.role.value
    colour = tone_colour(ROLE_TONES.get(role, Tone.IDLE)).name()
    who = ROLE_NAMES.get(role, role)
    return (
        f"<span style='color:{tone_colour(Tone.IDLE).name()}'>{clock(line.at)}</span>&nbsp; "
        f"<b style='color:{colour}'>{who}:</b> {html.escape(line.text)}"
    )
