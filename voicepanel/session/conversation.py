"""Conversation: one VAPI call's conversation as it happens, built from its live events.

What was said (final transcript lines, and the line still being heard per speaker), who
spoke when (speech spans per role, interruptions marked), how long the assistant took to
answer each turn (by VAPI's clock, and at the local agent's speaker when one is in the
room), the tool calls it made and how they were answered, and how the call ended. Plain
Python: the call card draws it, a scenario runner asserts on it, a presenter view shows it.

Listen through one event group: ``conversation.events.<name>.subscribe(callback)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from typing import Any

from voicepanel.core.vapi_events import CallEvent
from voicepanel.session.observable import Callbacks

# A local agent's turn belongs to the VAPI turn whose "user stopped" falls in this window
# around the local end of speech: VAPI hears the end later (its endpointing waits for
# silence), and the two clocks may differ a little on the cloud.
LOCAL_MATCH_BEFORE_S = 0.5
LOCAL_MATCH_AFTER_S = 3.0


class Speaker(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class ToolCallState(Enum):
    WAITING = "waiting"  # VAPI waits for an answer
    ANSWERED = "answered"  # a result went back in time
    FAILED = "failed"  # an error went back in time
    EXPIRED = "expired"  # nobody answered before the deadline
    LATE = "late"  # answered after the deadline: VAPI had stopped waiting


class AnswerSource(Enum):
    HAND = "by hand"
    RULE = "by a rule"


class RequestKind(Enum):
    TOOL = "tool-calls"
    TRANSFER = "transfer-destination-request"


@dataclass(frozen=True)
class TranscriptLine:
    role: Speaker
    text: str
    at: float  # epoch seconds, VAPI's clock: when the line began to be heard
    final: bool


@dataclass(frozen=True)
class SpeechSpan:
    role: Speaker
    start: float
    end: float | None = None  # None while still speaking
    interrupted: bool = False  # the assistant was cut off by the user


@dataclass(frozen=True)
class TurnTiming:
    """One exchange: the user stopped, the assistant started answering."""

    index: int  # 1-based, in this call
    user_stopped_at: float
    reply_started_at: float
    local_latency_s: float | None = None  # voice-to-voice at the local agent's speaker

    @property
    def reply_delay_s(self) -> float:
        """The assistant's reply delay as VAPI saw it."""
        return self.reply_started_at - self.user_stopped_at


@dataclass(frozen=True)
class Exchange:
    """What the user said and what the assistant answered, with that turn's timing."""

    user: str
    assistant: str
    timing: TurnTiming | None = None


@dataclass(frozen=True)
class ToolCall:
    """A tool call (or transfer-destination request) waiting for, or given, an answer."""

    id: str
    call_id: str
    kind: RequestKind
    name: str
    arguments: Any  # the parsed JSON arguments (the raw text when it is not JSON)
    received_at: float
    deadline_at: float  # the last moment an answer still reaches VAPI
    state: ToolCallState = ToolCallState.WAITING
    result: str | None = None
    error: str | None = None
    answered_at: float | None = None
    source: AnswerSource | None = None

    @property
    def waiting(self) -> bool:
        return self.state is ToolCallState.WAITING

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.deadline_at - now)

    def arguments_text(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class LocalTurn:
    """A turn the local agent measured, in epoch seconds."""

    local_end: float
    reply_start: float

    @property
    def latency_s(self) -> float:
        return self.reply_start - self.local_end


class ConversationEvents:
    """The conversation's listeners, one list per kind of change."""

    def __init__(self) -> None:
        self.line: Callbacks[TranscriptLine] = Callbacks("transcript line")
        self.speech: Callbacks[SpeechSpan] = Callbacks("speech span")
        self.turn: Callbacks[TurnTiming] = Callbacks("turn timing")
        self.tool_call: Callbacks[ToolCall] = Callbacks("tool call")
        self.status: Callbacks[str] = Callbacks("conversation status")

    def clear(self) -> None:
        for callbacks in (self.line, self.speech, self.turn, self.tool_call, self.status):
            callbacks.clear()


class Conversation:
    """Apply a call's events in arrival order with ``apply``; read the fields."""

    def __init__(self, call_id: str, answer_window_s: float = 19.5) -> None:
        self.call_id = call_id
        self.answer_window_s = answer_window_s  # how long a tool call may wait for its answer
        self.events = ConversationEvents()
        self.status: str | None = None
        self.ended_reason: str | None = None
        self.first_event_at: float | None = None
        self.event_count = 0
        self.lines: list[TranscriptLine] = []  # final lines, in order
        self.partials: dict[Speaker, TranscriptLine] = {}  # the line being heard, per speaker
        self.spans: list[SpeechSpan] = []
        self.turns: list[TurnTiming] = []
        self.tool_calls: dict[str, ToolCall] = {}
        self.hangs: list[float] = []  # when VAPI said the assistant was not answering
        self.messages: list[dict[str, Any]] = []  # the latest conversation-update's messages
        self.summary: str | None = None
        self.cost: float | None = None
        self.report_transcript: str | None = None
        self._open: dict[Speaker, int] = {}  # index in spans of each speaker's open span
        self._user_stopped_at: float | None = None  # awaiting the assistant's reply
        self._local_turns: list[LocalTurn] = []
        self._last_final: dict[Speaker, float] = {}  # when each speaker's last final line began
        self._transfers = 0

    # -- reading -------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    def speaking(self, role: Speaker) -> bool:
        return role in self._open

    def transcript(self) -> list[TranscriptLine]:
        """The final lines, then the lines still being heard (user first)."""
        tail = [self.partials[r] for r in (Speaker.USER, Speaker.ASSISTANT) if r in self.partials]
        return [*self.lines, *tail]

    def final_lines(self, role: Speaker | None = None) -> list[str]:
        return [line.text for line in self.lines if role is None or line.role is role]

    def turn_lines(self) -> list[tuple[list[TranscriptLine], list[TranscriptLine]]]:
        """The final lines grouped as turns: (the user's lines, the assistant's answer)."""
        groups: list[tuple[list[TranscriptLine], list[TranscriptLine]]] = []
        for line in self.lines:
            if line.role is Speaker.USER and (not groups or groups[-1][1]):
                groups.append(([line], []))
            elif line.role is Speaker.USER:
                groups[-1][0].append(line)
            elif not groups:
                groups.append(([], [line]))
            else:
                groups[-1][1].append(line)
        return groups

    def exchanges(self) -> list[Exchange]:
        """The final lines grouped as turns: the user's lines, then the assistant's answer
        (an opening line of the assistant has an empty ``user``). Each exchange carries
        the turn timing whose reply began nearest its answer's first line."""
        result = []
        for said, answered in self.turn_lines():
            timing = None
            if said and answered:
                timing = min(
                    (t for t in self.turns if t.reply_started_at >= said[0].at),
                    key=lambda t: abs(t.reply_started_at - answered[0].at),
                    default=None,
                )
            result.append(
                Exchange(
                    " ".join(line.text for line in said),
                    " ".join(line.text for line in answered),
                    timing,
                )
            )
        return result

    def waiting_tool_calls(self) -> list[ToolCall]:
        return [c for c in self.tool_calls.values() if c.waiting]

    # -- applying events -----------------------------------------------------------------

    def apply(self, event: CallEvent) -> list[ToolCall]:
        """Takes one event; returns the tool calls it opened (for tool-calls and
        transfer-destination-request), which wait for an answer."""
        self.event_count += 1
        if self.first_event_at is None:
            self.first_event_at = event.at
        d = event.details
        handler = _HANDLERS.get(event.type)
        if handler is None:
            return []
        return handler(self, event, d) or []

    def _on_status(self, event: CallEvent, d: dict[str, Any]) -> None:
        self.status = str(d.get("status"))
        if d.get("endedReason"):
            self.ended_reason = str(d["endedReason"])
        if self.ended:
            self._close_all(event.at)
        self.events.status.emit(self.status)

    def _on_report(self, event: CallEvent, d: dict[str, Any]) -> None:
        self.status = "ended"
        if d.get("endedReason"):
            self.ended_reason = str(d["endedReason"])
        analysis = d.get("analysis")
        if isinstance(analysis, dict) and analysis.get("summary"):
            self.summary = str(analysis["summary"])
        cost = d.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            self.cost = float(cost)
        artifact = d.get("artifact")
        if isinstance(artifact, dict) and isinstance(artifact.get("transcript"), str):
            self.report_transcript = artifact["transcript"]
        self._close_all(event.at)
        self.events.status.emit(self.status)

    def _on_transcript(self, event: CallEvent, d: dict[str, Any]) -> None:
        role = Speaker(d["role"])
        text = str(d.get("transcript") or "")
        began = self.partials[role].at if role in self.partials else self._spoken_at(role, event)
        if d.get("transcriptType") == "final":
            self.partials.pop(role, None)
            line = TranscriptLine(role, text, began, final=True)
            self.lines.append(line)
            self._last_final[role] = began
        else:
            line = TranscriptLine(role, text, began, final=False)
            self.partials[role] = line
        self.events.line.emit(line)

    def _spoken_at(self, role: Speaker, event: CallEvent) -> float:
        """When a line with no partial before it was said: its speaker's latest speech,
        when that began since the speaker's last final line (VAPI often sends the final
        line as the speech ends), else the event's own time."""
        last_line = self._last_final.get(role, 0.0)
        for span in reversed(self.spans):
            if span.role is role:
                return span.start if last_line < span.start <= event.at else event.at
        return event.at

    def _on_speech(self, event: CallEvent, d: dict[str, Any]) -> None:
        role = Speaker(d["role"])
        if d.get("status") == "started":
            self._speech_started(role, event.at)
        else:
            self._speech_stopped(role, event.at)

    def _speech_started(self, role: Speaker, at: float) -> None:
        if role in self._open:
            return  # VAPI repeats itself: the span is already open
        if role is Speaker.USER:
            self._user_stopped_at = None  # the user goes on: the reply is not due yet
            if Speaker.ASSISTANT in self._open:
                self._mark_interrupted()
        elif self._user_stopped_at is not None:
            turn = TurnTiming(len(self.turns) + 1, self._user_stopped_at, at)
            self._user_stopped_at = None
            self.turns.append(self._with_local(turn))
            self.events.turn.emit(self.turns[-1])
        self.spans.append(SpeechSpan(role, at))
        self._open[role] = len(self.spans) - 1
        self.events.speech.emit(self.spans[-1])

    def _speech_stopped(self, role: Speaker, at: float) -> None:
        index = self._open.pop(role, None)
        if index is None:
            return
        span = replace(self.spans[index], end=max(at, self.spans[index].start))
        self.spans[index] = span
        if role is Speaker.USER:
            self._user_stopped_at = span.end
        self.events.speech.emit(span)

    def _on_interrupted(self, event: CallEvent, d: dict[str, Any]) -> None:
        self._mark_interrupted()

    def _mark_interrupted(self) -> None:
        """The assistant's current (or last) span was cut off by the user."""
        for index in range(len(self.spans) - 1, -1, -1):
            span = self.spans[index]
            if span.role is Speaker.ASSISTANT:
                if not span.interrupted:
                    self.spans[index] = replace(span, interrupted=True)
                    self.events.speech.emit(self.spans[index])
                return

    def _on_hang(self, event: CallEvent, d: dict[str, Any]) -> None:
        self.hangs.append(event.at)
        self.events.status.emit(self.status or "")

    def _on_conversation(self, event: CallEvent, d: dict[str, Any]) -> None:
        messages = d.get("messages")
        if isinstance(messages, list):
            self.messages = [m for m in messages if isinstance(m, dict)]

    def _on_tool_calls(self, event: CallEvent, d: dict[str, Any]) -> list[ToolCall]:
        opened = []
        for item in d.get("toolCallList") or []:
            function = item.get("function") or {}
            call = ToolCall(
                id=str(item["id"]),
                call_id=self.call_id,
                kind=RequestKind.TOOL,
                name=str(function.get("name") or "?"),
                arguments=_arguments(function.get("arguments")),
                received_at=event.received_at,
                deadline_at=event.received_at + self.answer_window_s,
            )
            if call.id in self.tool_calls:
                continue  # a retried post: the first one is being answered
            opened.append(self._put_tool_call(call))
        return opened

    def _on_transfer_request(self, event: CallEvent, d: dict[str, Any]) -> list[ToolCall]:
        self._transfers += 1
        call = ToolCall(
            id=f"transfer-{self._transfers}",
            call_id=self.call_id,
            kind=RequestKind.TRANSFER,
            name="transfer destination",
            arguments={},
            received_at=event.received_at,
            deadline_at=event.received_at + self.answer_window_s,
        )
        return [self._put_tool_call(call)]

    def _close_all(self, at: float) -> None:
        for role in list(self._open):
            self._speech_stopped(role, at)
        self._user_stopped_at = None
        self.partials.clear()

    # -- tool calls ----------------------------------------------------------------------

    def _put_tool_call(self, call: ToolCall) -> ToolCall:
        self.tool_calls[call.id] = call
        self.events.tool_call.emit(call)
        return call

    def settle_tool_call(
        self,
        tool_call_id: str,
        *,
        at: float,
        source: AnswerSource,
        result: str | None = None,
        error: str | None = None,
    ) -> ToolCall:
        """Records an answer: ANSWERED or FAILED when it is in time, LATE after the
        deadline (VAPI is no longer listening). A call already answered keeps its answer."""
        call = self.tool_calls[tool_call_id]
        if call.state not in (ToolCallState.WAITING, ToolCallState.EXPIRED):
            return call
        if call.state is ToolCallState.EXPIRED or at > call.deadline_at:
            state = ToolCallState.LATE
        else:
            state = ToolCallState.FAILED if error is not None else ToolCallState.ANSWERED
        return self._put_tool_call(
            replace(call, state=state, result=result, error=error, answered_at=at, source=source)
        )

    def expire_tool_call(self, tool_call_id: str) -> ToolCall:
        call = self.tool_calls[tool_call_id]
        if not call.waiting:
            return call
        return self._put_tool_call(replace(call, state=ToolCallState.EXPIRED))

    # -- the local agent's measurements --------------------------------------------------

    def add_local_turn(self, local_end: float, reply_start: float) -> TurnTiming | None:
        """A voice-to-voice turn measured at the local agent's speaker (epoch seconds);
        pairs it with VAPI's turn now, or when that turn's events arrive."""
        local = LocalTurn(local_end, reply_start)
        self._local_turns.append(local)
        for index, turn in enumerate(self.turns):
            if turn.local_latency_s is None and _matches(turn, local):
                self.turns[index] = replace(turn, local_latency_s=local.latency_s)
                self._local_turns.remove(local)
                self.events.turn.emit(self.turns[index])
                return self.turns[index]
        return None

    def _with_local(self, turn: TurnTiming) -> TurnTiming:
        for local in self._local_turns:
            if _matches(turn, local):
                self._local_turns.remove(local)
                return replace(turn, local_latency_s=local.latency_s)
        return turn


def _matches(turn: TurnTiming, local: LocalTurn) -> bool:
    lag = turn.user_stopped_at - local.local_end
    return -LOCAL_MATCH_BEFORE_S <= lag <= LOCAL_MATCH_AFTER_S


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            return raw
    return raw if raw is not None else {}


_HANDLERS: dict[str, Any] = {
    "status-update": Conversation._on_status,
    "end-of-call-report": Conversation._on_report,
    "transcript": Conversation._on_transcript,
    "speech-update": Conversation._on_speech,
    "user-interrupted": Conversation._on_interrupted,
    "hang": Conversation._on_hang,
    "conversation-update": Conversation._on_conversation,
    "tool-calls": Conversation._on_tool_calls,
    "transfer-destination-request": Conversation._on_transfer_request,
}
