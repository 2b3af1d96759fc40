"""The live part of a call card, in tabs: the conversation (transcript and timeline), every
turn's delays, the tool calls (brought forward when one waits for an answer), and steering
beyond say and end."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QScrollArea, QTabWidget, QVBoxLayout, QWidget

from voicepanel.ui.state_style import Tone, tone_colour
from voicepanel.ui.steer_box import SteerBox
from voicepanel.ui.tool_calls_view import ToolCallsView
from voicepanel.ui.transcript_view import TranscriptView
from voicepanel.ui.turn_timeline import TurnTable, TurnTimeline

BRING_FORWARD_MS = 500  # a tool call a rule answers at once does not pull the tab over


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
        self._conversation: Any = None
        self._bring_forward = QTimer(self, singleShot=True, interval=BRING_FORWARD_MS)
        self._bring_forward.timeout.connect(self._show_waiting_tools)
        self.setMinimumHeight(240)
        self.currentChanged.connect(lambda _index: self._show_turns())

    def show_conversation(self, conversation: Any) -> None:
        """Updates the conversation and the tool calls, the turn table only while it is in
        view (it catches up when chosen), and the tab titles."""
        self._conversation = conversation
        self._transcript.show_conversation(conversation)
        self._timeline.show_conversation(conversation)
        self._tool_calls.show_conversation(conversation)
        self._show_turns()
        count = len(conversation.turns)
        self._title(self.turns_index, f"Turns ({count})" if count else "Turns")
        waiting = {c.id for c in conversation.waiting_tool_calls()}
        calls = len(conversation.tool_calls)
        title = "Tools" + (f" ({calls})" if calls else "")
        if waiting:
            title = f"Tools · {len(waiting)} waiting"
        if self._title(self.tools_index, title):
            self.tabBar().setTabTextColor(
                self.tools_index,
                tone_colour(Tone.WARN) if waiting else self.palette().color(self.foregroundRole()),
            )
        if waiting - self._waiting:
            self._bring_forward.start()
        self._waiting = waiting

    def _title(self, index: int, title: str) -> bool:
        """Sets a tab's title when it changed (each change lays out the tab bar again)."""
        if self.tabText(index) == title:
            return False
        self.setTabText(index, title)
        return True

    def _show_waiting_tools(self) -> None:
        """VAPI still waits for an answer: the answer box comes forward."""
        conversation = self._conversation
        if conversation is not None and conversation.waiting_tool_calls():
            self.setCurrentIndex(self.tools_index)

    def _show_turns(self) -> None:
        if self._conversation is not None and self.currentIndex() == self.turns_index:
            self._turns.show_conversation(self._conversation)


def _padded(widget: QWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 6, 0, 0)
    column.addWidget(widget)
    column.addStretch(1)
    return page
