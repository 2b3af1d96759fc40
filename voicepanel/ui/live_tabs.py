"""The live part of a call card, in tabs: the conversation (transcript and timeline), every
turn's delays, the tool calls (brought forward when one waits for an answer), and steering
beyond say and end."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QScrollArea, QTabWidget, QVBoxLayout, QWidget

from voicepanel.ui.state_style import Tone, tone_colour
from voicepanel.ui.steer_box import SteerBox
from voicepanel.ui.tool_calls_view import ToolCallsView
from voicepanel.ui.transcript_view import TranscriptView
from voicepanel.ui.turn_timeline import TurnTable, TurnTimeline


class LiveTabs(QTabWidget):
    def __init__(
        self,
        transcript: TranscriptView,
        timeline: TurnTimeline,
        turns: TurnTable,
        tool_calls: ToolCallsView,
        steer: SteerBox,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("liveTabs")
        self.setDocumentMode(True)
        conversation = QWidget()
        column = QVBoxLayout(conversation)
        column.setContentsMargins(0, 4, 0, 0)
        column.setSpacing(4)
        column.addWidget(timeline)  # on top: it stays in view when the card is short
        column.addWidget(transcript, 1)
        self.conversation_page = conversation
        self.addTab(conversation, "Conversation")
        self.turns_index = self.addTab(turns, "Turns")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(tool_calls)
        self.tools_index = self.addTab(scroll, "Tools")
        self.steer_index = self.addTab(_padded(steer), "Steer")
        self._transcript = transcript
        self._timeline = timeline
        self._turns = turns
        self._tool_calls = tool_calls
        self._waiting: set[str] = set()
        self.setMinimumHeight(240)

    def show_conversation(self, conversation: Any) -> None:
        self._transcript.show_conversation(conversation)
        self._timeline.show_conversation(conversation)
        self._turns.show_conversation(conversation)
        self._tool_calls.show_conversation(conversation)
        count = len(conversation.turns)
        self.setTabText(self.turns_index, f"Turns ({count})" if count else "Turns")
        waiting = {c.id for c in conversation.waiting_tool_calls()}
        calls = len(conversation.tool_calls)
        title = "Tools" + (f" ({calls})" if calls else "")
        if waiting:
            title = f"Tools · {len(waiting)} waiting"
        self.setTabText(self.tools_index, title)
        self.tabBar().setTabTextColor(
            self.tools_index,
            tone_colour(Tone.WARN) if waiting else self.palette().color(self.foregroundRole()),
        )
        if waiting - self._waiting:
            self.setCurrentIndex(self.tools_index)  # VAPI waits: the answer box comes forward
        self._waiting = waiting


def _padded(widget: QWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 6, 0, 0)
    column.addWidget(widget)
    column.addStretch(1)
    return page
