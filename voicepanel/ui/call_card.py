"""One VAPI call at a glance: status and why it ended, duration; as it happens, the live
transcript, the turns and their delays, and the tool calls to answer; steering (say a
line, add a message, mute, listen in, end); the end-of-call report."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.vapi_gateway import ended_reason_group
from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.labels import CopyableId, alive, shrinkable
from voicepanel.ui.live_tabs import LiveTabs
from voicepanel.ui.state_style import Tone, dot_icon, tint
from voicepanel.ui.steer_box import SteerBox
from voicepanel.ui.tool_calls_view import ToolCallsView
from voicepanel.ui.transcript_view import TranscriptView
from voicepanel.ui.turn_timeline import TurnTable, TurnTimeline

Say = Callable[[str, str, bool], Awaitable[None]]  # (call_id, text, end_after)
End = Callable[[str], Awaitable[Any]]  # (call_id)

NO_EVENTS_YET_S = 8.0  # a call in progress this long without one live event is suspect
NO_EVENTS_YET = (
    "No live events have arrived from VAPI yet. If the profile uses a tunnel, check it "
    "with Test in the profile."
)


class LiveCallActions(Protocol):
    """What a card does with a call's live conversation (the calls dock provides it)."""

    def conversation(self, call_id: str) -> Any: ...
    def answer_tool_call(
        self, call_id: str, tool_call_id: str, result: str | None, error: str | None
    ) -> Any: ...
    async def add_message(self, call_id: str, role: str, content: str, reply: bool) -> None: ...
    async def set_assistant_muted(self, call_id: str, muted: bool) -> Any: ...
    def listener(self, call_id: str, on_status: Callable[[Any], None], volume: float) -> Any: ...
    def edit_rules(self, parent: QWidget) -> None: ...


_STATUS = {
    "scheduled": ("scheduled", Tone.IDLE),
    "queued": ("queued", Tone.WARN),
    "ringing": ("ringing", Tone.WARN),
    "in-progress": ("in progress", Tone.GOOD),
    "forwarding": ("forwarding", Tone.INFO),
    "ended": ("ended", Tone.IDLE),
}


def _epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def call_duration_s(record: Any, now: float | None = None) -> float:
    """Seconds the call has run: from its start to its end, or to now while live."""
    call = record.call
    start = _epoch(call.started_at) or _epoch(call.created_at) or record.started_at
    end = _epoch(call.ended_at) if call.status == "ended" else None
    if end is None:
        end = time.time() if now is None else now
    return max(0.0, end - start)


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class VapiCallCard(QFrame):
    """Shows a CallRecord; ``say`` and ``end`` steer the call through the CallBook."""

    def __init__(
        self,
        record: Any,
        say: Say,
        end: End,
        parent: QWidget | None = None,
        *,
        name_of: Callable[[str], str | None] | None = None,
        live: LiveCallActions | None = None,
    ) -> None:
        super().__init__(parent)
        self._name_of = name_of or (lambda _id: None)
        self.setObjectName("vapiCallCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._say = say
        self._end = end
        self._live = live
        self.record = record
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)

        header = QHBoxLayout()
        self._dot = QLabel()
        self.title = QLabel()
        self.title.setObjectName("callTitle")
        self.status_label = QLabel()
        self.status_label.setObjectName("callStatus")
        self.duration_label = QLabel()
        self.duration_label.setObjectName("callDuration")
        self.duration_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        header.addWidget(self._dot)
        header.addWidget(self.title, 1)
        header.addWidget(self.status_label)
        header.addWidget(self.duration_label)
        layout.addLayout(header)

        self.info = QFormLayout()
        self.info.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.call_id = CopyableId(name="callId")
        self.info.addRow("Call id", self.call_id)
        self.where = QLabel()
        self.where.setWordWrap(True)
        shrinkable(self.where)
        self.info.addRow("Room / peer", self.where)
        self.why = QLabel()
        self.why.setObjectName("callWhy")
        self.why.setWordWrap(True)
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.addRow("Ended because", self.why)
        layout.addLayout(self.info)

        self.banner = ErrorBanner(self)
        layout.addWidget(self.banner)
        self.events_note = QLabel()
        self.events_note.setObjectName("liveEventsNote")
        self.events_note.setWordWrap(True)
        tint(self.events_note, Tone.WARN)
        self.events_note.hide()
        layout.addWidget(self.events_note)

        self.transcript_view = TranscriptView()
        self.timeline = TurnTimeline()
        self.turn_table = TurnTable()
        self.tool_calls = ToolCallsView(self._answer_tool_call)
        self.tool_calls.rules_requested.connect(self._edit_rules)
        self.steer = SteerBox(
            self._add_message, self._set_muted, self._make_listener, self._show_failure
        )
        self.live_tabs = LiveTabs(
            self.transcript_view, self.timeline, self.turn_table, self.tool_calls, self.steer
        )
        self.live_tabs.setVisible(live is not None)
        layout.addWidget(self.live_tabs, 1)

        self.controls = QWidget()
        steer = QVBoxLayout(self.controls)
        steer.setContentsMargins(0, 0, 0, 0)
        steer.setSpacing(4)
        controls = QHBoxLayout()
        self.line = QLineEdit()
        self.line.setObjectName("sayLine")
        self.line.setPlaceholderText("Make the assistant say…")
        self.line.returnPressed.connect(self.say_line)
        self.end_after = QCheckBox("then hang up")
        self.say_button = QPushButton("Say")
        self.say_button.setObjectName("sayButton")
        self.say_button.clicked.connect(self.say_line)
        self.end_button = QPushButton("End call")
        self.end_button.setObjectName("endCallButton")
        self.end_button.clicked.connect(self.end_call)
        self.busy = BusyIndicator(self)
        steer.addWidget(self.line)
        steer.addLayout(controls)
        controls.addWidget(self.end_after)
        controls.addStretch(1)
        controls.addWidget(self.say_button)
        controls.addWidget(self.end_button)
        controls.addWidget(self.busy)
        layout.addWidget(self.controls)
        self.said = QLabel()
        self.said.setObjectName("callSaid")
        self.said.setEnabled(False)
        self.said.hide()
        layout.addWidget(self.said)

        self.report = QWidget()
        report = QVBoxLayout(self.report)
        report.setContentsMargins(0, 4, 0, 0)
        self.summary = QLabel()
        self.summary.setObjectName("callSummary")
        self.summary.setWordWrap(True)
        self.cost = QLabel()
        self.cost.setObjectName("callCost")
        self.transcript = QPlainTextEdit()
        self.transcript.setObjectName("callTranscript")
        self.transcript.setReadOnly(True)
        self.transcript.setMaximumHeight(130)
        report.addWidget(QLabel("<b>End-of-call report</b>"))
        report.addWidget(self.summary)
        report.addWidget(self.cost)
        report.addWidget(self.transcript)
        layout.addWidget(self.report)
        self.update_record(record)

    # -- showing ---------------------------------------------------------------------------

    def update_record(self, record: Any) -> None:
        self.record = record
        call = record.call
        text, tone = _STATUS.get(call.status, (call.status, Tone.IDLE))
        crashed = bool(record.peer_crash_reason)
        if crashed and call.status != "ended":
            tone = Tone.BAD
        self._dot.setPixmap(dot_icon(tone, 12).pixmap(12, 12))
        self.title.setText(f"<b>{call.assistant_name or call.assistant_id or 'Assistant'}</b>")
        self.status_label.setText(text)
        self.call_id.set_text(call.id)
        room = (self._name_of(record.room_id) or record.room_id) if record.room_id else "—"
        peer = (
            (self._name_of(record.peer_id) or call.assistant_name or record.peer_id)
            if record.peer_id
            else None
        )
        self.where.setText(f"{room} / {peer or 'not joined yet'}")
        self.where.setToolTip(f"Room id {record.room_id or '—'}\nPeer id {record.peer_id or '—'}")
        why_parts = []
        if call.status == "ended":
            raw = call.ended_reason or "no reason given"
            if record.ended_by_panel:
                # VAPI reports a hang-up through the control URL as the assistant's doing.
                why_parts.append(f"the panel ended it ({record.ended_by_panel}); VAPI says {raw}")
            else:
                why_parts.append(f"{ended_reason_group(call.ended_reason)} ({raw})")
        if crashed:
            why_parts.append(f"The VAPI peer crashed: {record.peer_crash_reason}")
        self.why.setText("\n".join(why_parts))
        _set_row_visible(self.info, self.why, bool(why_parts))
        if record.last_error:
            self.banner.show_message(record.last_error, tone=Tone.WARN)
        self.controls.setVisible(call.status != "ended")
        self.steer.show_muted(bool(getattr(record, "assistant_muted", False)))
        self._show_report(call)
        self.transcript_view.show_ended(call.status == "ended")
        self.show_conversation()
        self.tick()

    def show_conversation(self) -> None:
        """Re-reads the call's live conversation (the dock calls it after each change)."""
        conversation = self.conversation()
        if conversation is not None:
            self.live_tabs.show_conversation(conversation)
        self._show_events_note(conversation)

    def conversation(self) -> Any:
        return self._live.conversation(self.record.id) if self._live is not None else None

    def _show_events_note(self, conversation: Any) -> None:
        silent = conversation is None or conversation.event_count == 0
        # Events arriving prove a warning wrong (a tunnel pointed at the new port).
        note = getattr(self.record, "events_missing", None) if silent else None
        waiting = conversation is not None and self.record.status == "in-progress"
        if note is None and silent and waiting and call_duration_s(self.record) > NO_EVENTS_YET_S:
            note = NO_EVENTS_YET
        self.events_note.setText(note or "")
        self.events_note.setVisible(bool(note))

    def _show_report(self, call: Any) -> None:
        has_report = call.status == "ended" and bool(
            call.transcript or call.summary or call.cost is not None or call.messages
        )
        self.report.setVisible(has_report)
        if not has_report:
            return
        self.summary.setText(f"Summary: {call.summary}" if call.summary else "No summary.")
        self.cost.setText(f"Cost: ${call.cost:.4f}" if call.cost is not None else "Cost: unknown")
        transcript = call.transcript or "\n".join(
            f"{m.get('role', '?')}: {m.get('message') or m.get('content') or ''}"
            for m in call.messages
            if m.get("role") in ("user", "assistant", "bot")
        )
        if self.transcript.toPlainText() != transcript:
            self.transcript.setPlainText(transcript)
        # The live transcript above already holds the conversation, with its times; with
        # no words at all, its empty state says so and an empty box here would only puzzle.
        conversation = self.conversation()
        shown_above = conversation is not None and bool(conversation.lines)
        self.transcript.setVisible(bool(transcript.strip()) and not shown_above)
        if not transcript.strip() and conversation is None:  # no live transcript to say it
            self.summary.setText(f"{self.summary.text()} No transcript: nobody spoke.")

    def tick(self) -> None:
        """Refreshes the live duration and the timeline (the calls panel calls this while
        the call is live)."""
        self.duration_label.setText(format_duration(call_duration_s(self.record)))
        self.timeline.tick()
        if self.record.live and not self.events_note.isVisible():
            self._show_events_note(self.conversation())

    # -- steering --------------------------------------------------------------------------

    @asyncSlot()
    async def say_line(self) -> None:
        text = self.line.text().strip()
        if not text:
            return
        self.banner.hide()
        try:
            with self.busy.busy(self.say_button, self.line, self.end_button):
                await self._say(self.record.id, text, self.end_after.isChecked())
        except Exception as error:  # noqa: BLE001 - shown on the card, cause logged
            log_failure(error)
            if alive(self):
                self.banner.show_error(error)
            return
        if not alive(self):
            return
        self.line.clear()
        self.said.setText(f"Said: “{text}”")
        self.said.show()

    def _show_failure(self, error: BaseException) -> None:
        log_failure(error)
        if alive(self):
            self.banner.show_error(error)

    def _answer_tool_call(
        self, call_id: str, tool_call_id: str, result: str | None, error: str | None
    ) -> Any:
        assert self._live is not None
        return self._live.answer_tool_call(call_id, tool_call_id, result, error)

    def _edit_rules(self) -> None:
        if self._live is not None:
            self._live.edit_rules(self)

    async def _add_message(self, role: str, content: str, reply: bool) -> None:
        assert self._live is not None
        self.banner.hide()
        await self._live.add_message(self.record.id, role, content, reply)

    async def _set_muted(self, muted: bool) -> Any:
        assert self._live is not None
        self.banner.hide()
        return await self._live.set_assistant_muted(self.record.id, muted)

    def _make_listener(self, on_status: Callable[[Any], None], volume: float) -> Any:
        assert self._live is not None
        return self._live.listener(self.record.id, on_status, volume)

    async def close_live(self) -> None:
        """Stops listening (the card is going away, or the call ended)."""
        await self.steer.stop_listening()

    @asyncSlot()
    async def end_call(self) -> None:
        self.banner.hide()
        try:
            with self.busy.busy(self.say_button, self.line, self.end_button):
                await self._end(self.record.id)
        except Exception as error:  # noqa: BLE001 - shown on the card, cause logged
            log_failure(error)
            if alive(self):
                self.banner.show_error(error)


def _set_row_visible(form: QFormLayout, field: QWidget, visible: bool) -> None:
    form.setRowVisible(field, visible)
