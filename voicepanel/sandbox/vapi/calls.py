"""Call records: the status machine queued -> in-progress -> ended, the conversation's
messages, and the end-of-call report (artifact, analysis, cost), as `GET /call` shows them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from .assistants import ORG_ID
from .call_request import CallRequest


class CallStatus(Enum):
    QUEUED = "queued"
    IN_PROGRESS = "in-progress"
    FORWARDING = "forwarding"
    ENDED = "ended"


class EndedReason(Enum):
    """The part of VAPI's endedReason vocabulary the sandbox produces (docs/sandbox.md has
    which way of ending gives which)."""

    CUSTOMER_ENDED_CALL = "customer-ended-call"
    MANUALLY_CANCELED = "manually-canceled"
    ASSISTANT_ENDED_CALL = "assistant-ended-call"
    ASSISTANT_ENDED_CALL_AFTER_MESSAGE_SPOKEN = "assistant-ended-call-after-message-spoken"
    ASSISTANT_SAID_END_CALL_PHRASE = "assistant-said-end-call-phrase"
    ASSISTANT_FORWARDED_CALL = "assistant-forwarded-call"
    SILENCE_TIMED_OUT = "silence-timed-out"
    EXCEEDED_MAX_DURATION = "exceeded-max-duration"
    TRANSPORT_NEVER_CONNECTED = "call.in-progress.error-vapifault-transport-never-connected"
    WORKER_SHUTDOWN = "worker-shutdown"


class Speaker(Enum):
    USER = "user"
    BOT = "bot"  # VAPI's artifact role for the assistant


@dataclass(frozen=True)
class CallUrls:
    websocket_call_url: str
    control_url: str
    listen_url: str


@dataclass
class CallRecord:
    request: CallRequest
    urls: CallUrls
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: CallStatus = CallStatus.QUEUED
    ended_reason: EndedReason | None = None
    created_at: datetime = field(default_factory=lambda: now_ms())
    updated_at: datetime = field(default_factory=lambda: now_ms())
    started_at: datetime | None = None
    ended_at: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    _started_epoch: float | None = None

    def __post_init__(self) -> None:
        self.name = self.request.name

    @property
    def sample_rate(self) -> int:
        return self.request.sample_rate

    @property
    def live(self) -> bool:
        return self.status in (CallStatus.IN_PROGRESS, CallStatus.FORWARDING)

    def start(self) -> None:
        if self.status is not CallStatus.QUEUED:
            raise RuntimeError(f"call {self.id} is {self.status.value}, not queued")
        self.status = CallStatus.IN_PROGRESS
        self.started_at = self._touch()
        self._started_epoch = time.time()

    def end(self, reason: EndedReason) -> bool:
        """Move to ended once; later calls change nothing and return False."""
        if self.status is CallStatus.ENDED:
            return False
        self.status = CallStatus.ENDED
        self.ended_reason = reason
        self.ended_at = self._touch()
        return True

    def add_message(
        self, speaker: Speaker, text: str, start_epoch: float, end_epoch: float
    ) -> dict[str, Any]:
        """Record one spoken turn in VAPI's artifact message shape; return it."""
        origin = self._started_epoch if self._started_epoch is not None else start_epoch
        message: dict[str, Any] = {
            "role": speaker.value,
            "message": text,
            "time": start_epoch * 1000,
            "endTime": end_epoch * 1000,
            "secondsFromStart": max(0.0, start_epoch - origin),
            "duration": (end_epoch - start_epoch) * 1000,
        }
        if speaker is Speaker.BOT:
            message["source"] = ""
        self.messages.append(message)
        self._touch()
        return message

    def rename(self, name: str | None) -> None:
        self.name = name
        self._touch()

    def forward(self) -> None:
        if self.status is CallStatus.IN_PROGRESS:
            self.status = CallStatus.FORWARDING
            self._touch()

    def add_note(self, role: str, text: str) -> dict[str, Any]:
        """A message added by the client (add-message), in VAPI's artifact shape."""
        now = time.time()
        message: dict[str, Any] = {"role": role, "message": text, "time": now * 1000}
        if role == Speaker.USER.value:
            message["endTime"] = now * 1000
            message["duration"] = 0
        return self._append(message, now)

    def add_tool_calls(self, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
        """The assistant's tool calls, as VAPI's `tool_calls` artifact message."""
        now = time.time()
        message = {"role": "tool_calls", "toolCalls": tool_calls, "message": "", "time": now * 1000}
        return self._append(message, now)

    def add_tool_result(self, tool_call_id: str, name: str, result: str) -> dict[str, Any]:
        """A tool's answer, as VAPI's `tool_call_result` artifact message."""
        now = time.time()
        message = {
            "role": "tool_call_result",
            "toolCallId": tool_call_id,
            "name": name,
            "result": result,
            "time": now * 1000,
        }
        return self._append(message, now)

    def _append(self, message: dict[str, Any], now: float) -> dict[str, Any]:
        origin = self._started_epoch if self._started_epoch is not None else now
        message["secondsFromStart"] = max(0.0, now - origin)
        self.messages.append(message)
        self._touch()
        return message

    def transcript(self) -> str:
        lines = []
        for message in self.messages:
            label = {"user": "User", "bot": "AI"}.get(message["role"])
            if label:
                lines.append(f"{label}: {message['message']}")
        return "\n".join(lines)

    def openai_messages(self) -> list[dict[str, Any]]:
        formatted: list[dict[str, Any]] = []
        for m in self.messages:
            role = m["role"]
            if role == "tool_calls":
                formatted.append({"role": "assistant", "tool_calls": m["toolCalls"]})
            elif role == "tool_call_result":
                formatted.append(
                    {"role": "tool", "tool_call_id": m["toolCallId"], "content": m["result"]}
                )
            else:
                formatted.append({"role": _OPENAI_ROLES.get(role, role), "content": m["message"]})
        return formatted

    def artifact(self) -> dict[str, Any]:
        """The live `artifact`: what the call's events carry and the ended call keeps."""
        return {
            "messages": list(self.messages),
            "messagesOpenAIFormatted": self.openai_messages(),
            "transcript": self.transcript(),
        }

    def costs(self) -> list[dict[str, Any]]:
        return [{"type": "vapi", "subType": "normal", "minutes": self._minutes(), "cost": 0}]

    def to_json(self) -> dict[str, Any]:
        """The call as the API shows it (parses as the SDK's `Call`)."""
        request = self.request
        transport = dict(request.transport)
        transport["websocketCallUrl"] = self.urls.websocket_call_url
        body: dict[str, Any] = {
            "id": self.id,
            "orgId": ORG_ID,
            "type": "vapi.websocketCall",
            "status": self.status.value,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "transport": transport,
            "monitor": {"listenUrl": self.urls.listen_url, "controlUrl": self.urls.control_url},
            "cost": 0,
            "costBreakdown": _zero_cost_breakdown(),
            "messages": list(self.messages),
        }
        if request.assistant_id is not None:
            body["assistantId"] = request.assistant_id
        if request.assistant is not None:
            body["assistant"] = request.assistant
        if request.assistant_overrides is not None:
            body["assistantOverrides"] = request.assistant_overrides
        if self.name is not None:
            body["name"] = self.name
        if self.started_at is not None:
            body["startedAt"] = iso(self.started_at)
        if self.status is CallStatus.ENDED:
            body["endedReason"] = self.ended_reason.value if self.ended_reason else None
            body["endedAt"] = iso(self.ended_at) if self.ended_at else None
            body["artifact"] = self.artifact()
            body["analysis"] = {"summary": self.summary()}
            body["costs"] = self.costs()
        return body

    def _minutes(self) -> float:
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return (self.ended_at - self.started_at).total_seconds() / 60

    def summary(self) -> str:
        user = [m for m in self.messages if m["role"] == Speaker.USER.value]
        bot = [m for m in self.messages if m["role"] == Speaker.BOT.value]
        spoken_s = sum(m.get("duration", 0) for m in user) / 1000
        reason = self.ended_reason.value if self.ended_reason else "unknown"
        return (
            f"Sandbox call with the {self.request.profile.name} assistant: the user spoke "
            f"{_times(len(user))} ({spoken_s:.1f} s in all) and the assistant spoke "
            f"{_times(len(bot))}. It ended with {reason}."
        )

    def _touch(self) -> datetime:
        self.updated_at = now_ms()
        return self.updated_at


def _times(count: int) -> str:
    # The sandbox imports nothing of the app, so not voicepanel.core.wording.plural.
    return f"{count} time" if count == 1 else f"{count} times"


class CallBook:
    """Every call record by id, newest last."""

    def __init__(self) -> None:
        self._calls: dict[str, CallRecord] = {}

    def add(self, call: CallRecord) -> None:
        self._calls[call.id] = call

    def get(self, call_id: str) -> CallRecord | None:
        return self._calls.get(call_id)

    def delete(self, call_id: str) -> CallRecord | None:
        return self._calls.pop(call_id, None)

    def newest_first(self) -> list[CallRecord]:
        """Every call, newest first, as VAPI lists them."""
        return list(reversed(self._calls.values()))


_OPENAI_ROLES = {"bot": "assistant", "user": "user"}


def now_ms() -> datetime:
    """Now, to the millisecond the API shows, so list filters match what clients read."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zero_cost_breakdown() -> dict[str, float]:
    keys = ("transport", "stt", "llm", "tts", "vapi", "total")
    usage = ("llmPromptTokens", "llmCompletionTokens", "ttsCharacters")
    return {key: 0.0 for key in keys + usage}
