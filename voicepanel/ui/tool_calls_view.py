"""The tool calls of a call, as VAPI makes them: the tool's name and arguments, a countdown
to VAPI's deadline, and a box to answer by hand (a result or an error); then how each was
answered, by whom, or that nobody answered in time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicepanel.session.conversation import RequestKind, ToolCall, ToolCallState
from voicepanel.ui.error_banner import describe
from voicepanel.ui.state_style import Tone, tint

# (call id, tool call id, result, error) -> the call as now recorded
Answer = Callable[[str, str, str | None, str | None], ToolCall]

TRANSFER_EXAMPLE = '{"type": "number", "number": "+14155550100"}'


def state_text(call: ToolCall, now: float) -> tuple[str, Tone]:
    """What became of the call, in words, and its tone."""
    took = f"{(call.answered_at or now) - call.received_at:.1f} s"
    by = call.source.value if call.source else ""
    if call.state is ToolCallState.WAITING:
        return f"Waiting for an answer: {call.remaining_s(now):.0f} s left", Tone.WARN
    if call.state is ToolCallState.ANSWERED:
        return f"Answered {by} after {took}: {call.result}", Tone.GOOD
    if call.state is ToolCallState.FAILED:
        return f"Error sent {by} after {took}: {call.error}", Tone.WARN
    waited = call.deadline_at - call.received_at
    if call.state is ToolCallState.EXPIRED:
        return f"Nobody answered within {waited:.3g} s: VAPI was told so.", Tone.BAD
    late = (call.answered_at or now) - call.deadline_at
    return (
        f"Answered {by} {late:.1f} s after the deadline: VAPI had stopped waiting.",
        Tone.BAD,
    )


def result_text(text: str) -> str:
    """A hand-typed result as sent: JSON compacted, anything else as the text it is."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


class ToolCallRow(QFrame):
    def __init__(self, call: ToolCall, answer: Answer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCallRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._answer = answer
        self.call = call
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        self.title = QLabel()
        self.title.setObjectName("toolCallTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.title)
        self.state = QLabel()
        self.state.setObjectName("toolCallState")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.editor = QWidget()
        row = QHBoxLayout(self.editor)
        row.setContentsMargins(0, 0, 0, 0)
        self.answer_edit = QLineEdit()
        self.answer_edit.setObjectName("toolCallAnswer")
        transfer = call.kind is RequestKind.TRANSFER
        self.answer_edit.setPlaceholderText(
            f"Destination, e.g. {TRANSFER_EXAMPLE}" if transfer else "Result: JSON or text"
        )
        self.answer_edit.returnPressed.connect(self.send_result)
        self.result_button = QPushButton("Send destination" if transfer else "Send result")
        self.result_button.setObjectName("toolCallSendResult")
        self.result_button.clicked.connect(self.send_result)
        self.error_button = QPushButton("Send error")
        self.error_button.setObjectName("toolCallSendError")
        self.error_button.setToolTip("Answer with the text as an error")
        self.error_button.clicked.connect(self.send_error)
        row.addWidget(self.answer_edit, 1)
        row.addWidget(self.result_button)
        row.addWidget(self.error_button)
        layout.addWidget(self.editor)
        self.problem = QLabel()
        self.problem.setObjectName("toolCallProblem")
        self.problem.setWordWrap(True)
        tint(self.problem, Tone.BAD)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.update_call(call)

    def update_call(self, call: ToolCall, now: float | None = None) -> None:
        self.call = call
        kind = "transfer request" if call.kind is RequestKind.TRANSFER else call.name
        arguments = "" if call.kind is RequestKind.TRANSFER else f"({call.arguments_text()})"
        self.title.setText(f"<b>{kind}</b>{arguments}")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        text, tone = state_text(call, time.time() if now is None else now)
        self.state.setText(text)
        tint(self.state, tone)
        self.editor.setVisible(call.state in (ToolCallState.WAITING, ToolCallState.EXPIRED))

    def send_result(self) -> None:
        self._send(result_text(self.answer_edit.text().strip()), None)

    def send_error(self) -> None:
        self._send(None, self.answer_edit.text().strip() or "The tool failed.")

    def _send(self, result: str | None, error: str | None) -> None:
        try:
            call = self._answer(self.call.call_id, self.call.id, result, error)
        except Exception as exc:  # noqa: BLE001 - shown under the box
            message, hint = describe(exc)
            self.problem.setText(f"{message} {hint}".strip())
            self.problem.show()
            return
        self.problem.hide()
        self.update_call(call)


class ToolCallsView(QWidget):
    """Every tool call of one conversation; ``show_conversation`` after each change."""

    rules_requested = Signal()

    def __init__(self, answer: Answer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCallsView")
        self._answer = answer
        self.rows: dict[str, ToolCallRow] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        head = QHBoxLayout()
        self.heading = QLabel("<b>Tool calls</b>")
        self.rules_button = QToolButton()
        self.rules_button.setObjectName("responderRulesButton")
        self.rules_button.setText("Rules…")
        self.rules_button.setToolTip("Answer tool calls by themselves: a result, an error, a delay")
        self.rules_button.clicked.connect(self.rules_requested)
        head.addWidget(self.heading, 1)
        head.addWidget(self.rules_button)
        layout.addLayout(head)
        self.empty = QLabel(
            "No tool calls yet. When the assistant calls a tool, answer it here, or let "
            "Rules… answer it by itself."
        )
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        layout.addWidget(self.empty)
        self._column = QVBoxLayout()
        self._column.setSpacing(4)
        layout.addLayout(self._column)
        layout.addStretch(1)
        self._clock = QTimer(self)
        self._clock.setInterval(250)
        self._clock.timeout.connect(self.tick)

    def show_conversation(self, conversation: Any) -> None:
        for call in conversation.tool_calls.values():
            row = self.rows.get(call.id)
            if row is None:
                row = ToolCallRow(call, self._answer)
                self.rows[call.id] = row
                self._column.addWidget(row)
            elif row.call != call:
                row.update_call(call)
        self.empty.setVisible(not self.rows)
        waiting = sum(1 for r in self.rows.values() if r.call.waiting)
        self.heading.setText("<b>Tool calls</b>" + (f" · {waiting} waiting" if waiting else ""))
        if waiting and not self._clock.isActive():
            self._clock.start()
        elif not waiting:
            self._clock.stop()

    def tick(self) -> None:
        now = time.time()
        for row in self.rows.values():
            if row.call.waiting:
                row.update_call(row.call, now)
