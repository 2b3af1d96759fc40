"""What a VAPI Server URL post says, as a plain value: `CallEvent`, parsed and checked by
`parse_post`, and `RejectedPost` for what the receiver refused.

VAPI posts `{"message": {"type": ..., "call": {...}, "timestamp": ..., ...}}`. The types
are VAPI's (the installed SDK's `ServerMessage*` models list them); only the fields the
panel reads are checked, so a new optional field never breaks the receiver. A parsed event
keeps the message without its bulky envelope (the call, assistant, customer and live
artifact that ride on every post), which is what the journal stores.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from voicepanel.core.notifications import RecordSource
from voicepanel.core.redact import REDACTOR

# Every message type VAPI may post to a server URL (SDK 3.0: ServerMessage*Type literals).
KNOWN_TYPES: frozenset[str] = frozenset(
    {
        "assistant-request",
        "assistant.speechStarted",
        "call.artifact.upload",
        "call.delete.failed",
        "call.deleted",
        "call.endpointing.request",
        "campaign.predial",
        "chat.created",
        "chat.deleted",
        "conversation-update",
        "end-of-call-report",
        "handoff-destination-request",
        "hang",
        "knowledge-base-request",
        "language-change-detected",
        "model-output",
        "phone-call-control",
        "session.created",
        "session.deleted",
        "session.updated",
        "speech-update",
        "status-update",
        "tool-calls",
        "transcript",
        "transfer-destination-request",
        "transfer-update",
        "user-interrupted",
        "voice-input",
        "voice-request",
    }
)
FINAL_TRANSCRIPT_TYPE = 'transcript[transcriptType="final"]'  # a serverMessages filter VAPI echoes

ROLES = frozenset({"user", "assistant"})
# Keys every post carries that the panel does not keep: the call (its id is kept), the
# assistant and customer, and the live artifact (the whole conversation so far, each time);
# the type and timestamp, which the event holds as fields.
ENVELOPE_KEYS = frozenset(
    {
        "type",
        "timestamp",
        "call",
        "assistant",
        "customer",
        "artifact",
        "phoneNumber",
        "chat",
        "messagesOpenAIFormatted",
    }
)
MS_EPOCH_FLOOR = 1e11  # a timestamp above this is in milliseconds (1e11 s is year 5138)


class PostRefused(ValueError):
    """A post the receiver will not take: ``status`` is the HTTP answer, ``reason`` says why."""

    def __init__(self, status: int, reason: str, event_type: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.event_type = event_type


@dataclass(frozen=True)
class CallEvent:
    """One accepted VAPI event. ``room_id``/``peer_id`` are the call's room and VAPI peer,
    filled in by the session when it knows the call, so the event sits on the same
    timeline, and under the same filters, as Fishjam's notifications."""

    received_at: float  # time.time() when the post arrived
    type: str  # VAPI's message type: "transcript", "speech-update", ...
    call_id: str | None
    at: float  # when it happened by VAPI's clock (message.timestamp), epoch seconds
    details: dict[str, Any] = field(default_factory=dict)  # the message; of the call, its id
    room_id: str | None = None
    peer_id: str | None = None

    RECORD = "vapi-event"
    source = RecordSource.VAPI

    @property
    def kind(self) -> str:
        return f"vapi.{self.type}"

    @property
    def track_id(self) -> None:
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.RECORD,
            "received_at": self.received_at,
            "type": self.type,
            "call_id": self.call_id,
            "at": self.at,
            "room_id": self.room_id,
            "peer_id": self.peer_id,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallEvent:
        details = data.get("details")
        received_at = float(data.get("received_at") or 0.0)
        return cls(
            received_at=received_at,
            type=str(data["type"]),
            call_id=_opt_str(data.get("call_id")),
            at=float(data.get("at") or received_at),
            details=dict(details) if isinstance(details, dict) else {},
            room_id=_opt_str(data.get("room_id")),
            peer_id=_opt_str(data.get("peer_id")),
        )


@dataclass(frozen=True)
class RejectedPost:
    """A post the receiver refused for its size, its form or its type (never for a wrong
    secret: those are only logged, so a stranger cannot write into the journal)."""

    received_at: float
    status: int  # the HTTP status it was answered with
    reason: str
    size: int | None = None  # bytes declared or read, when known
    event_type: str | None = None

    RECORD = "vapi-rejected"
    source = RecordSource.VAPI
    kind = "vapi.rejected"
    room_id = None
    peer_id = None
    track_id = None

    @property
    def details(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "size": self.size,
            "type": self.event_type,
        }

    def to_json(self) -> dict[str, Any]:
        return {"record": self.RECORD, "received_at": self.received_at, **self.details}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RejectedPost:
        size = data.get("size")
        return cls(
            received_at=float(data.get("received_at") or 0.0),
            status=int(data.get("status") or 400),
            reason=str(data.get("reason") or ""),
            size=int(size) if isinstance(size, int) else None,
            event_type=_opt_str(data.get("type")),
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# -- parsing -------------------------------------------------------------------------------


def parse_post(body: bytes, received_at: float) -> CallEvent:
    """The event in a post's body; raises PostRefused (400) saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PostRefused(400, f"The body is not JSON ({exc}).") from None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise PostRefused(400, 'The body must be a JSON object with a "message" object.')
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        raise PostRefused(400, 'The message has no "type".')
    if kind == FINAL_TRANSCRIPT_TYPE:
        kind = "transcript"
    if kind not in KNOWN_TYPES:
        raise PostRefused(400, f"Unknown event type {_short(kind)!r}.", _short(kind))
    problem = _CHECKS.get(kind, _no_check)(message)
    if problem:
        raise PostRefused(400, f"A {kind} event {problem}.", kind)
    call = message.get("call")
    call_id = call.get("id") if isinstance(call, dict) else None
    if call_id is not None and not isinstance(call_id, str):
        raise PostRefused(400, "call.id must be a string.", kind)
    return CallEvent(
        received_at=received_at,
        type=kind,
        call_id=call_id or None,
        at=event_time(message.get("timestamp"), received_at),
        details=_kept(message, kind, call_id or None),
    )


def event_time(stamp: Any, fallback: float) -> float:
    """VAPI's ``timestamp`` (epoch milliseconds; seconds accepted) as epoch seconds."""
    if isinstance(stamp, bool) or not isinstance(stamp, int | float) or not math.isfinite(stamp):
        return fallback
    if stamp <= 0:
        return fallback
    return stamp / 1000.0 if stamp > MS_EPOCH_FLOOR else float(stamp)


def _kept(message: dict[str, Any], kind: str, call_id: str | None) -> dict[str, Any]:
    kept = {k: v for k, v in message.items() if k not in ENVELOPE_KEYS}
    if call_id:
        kept["call"] = {"id": call_id}
    if kind == "end-of-call-report" and isinstance(message.get("artifact"), dict):
        artifact = message["artifact"]
        kept["artifact"] = {
            k: artifact[k] for k in ("transcript", "messages", "recordingUrl") if k in artifact
        }
    return _masked(kept)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTOR.redact(value)
    if isinstance(value, dict):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- per-type checks: only what the panel reads ------------------------------------------


def _no_check(message: dict[str, Any]) -> str | None:
    return None


def _role(message: dict[str, Any]) -> str | None:
    role = message.get("role")
    if role not in ROLES:
        return f'needs "role" "user" or "assistant", not {role!r}'
    return None


def _transcript(message: dict[str, Any]) -> str | None:
    if (problem := _role(message)) is not None:
        return problem
    if message.get("transcriptType") not in ("partial", "final"):
        return 'needs "transcriptType" "partial" or "final"'
    if not isinstance(message.get("transcript"), str):
        return 'needs a "transcript" string'
    return None


def _speech(message: dict[str, Any]) -> str | None:
    if (problem := _role(message)) is not None:
        return problem
    if message.get("status") not in ("started", "stopped"):
        return 'needs "status" "started" or "stopped"'
    return None


def _status(message: dict[str, Any]) -> str | None:
    if not isinstance(message.get("status"), str):
        return 'needs a "status" string'
    return None


def _tool_calls(message: dict[str, Any]) -> str | None:
    calls = message.get("toolCallList")
    if not isinstance(calls, list) or not calls:
        return 'needs a non-empty "toolCallList"'
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            return 'has a tool call without an "id"'
        function = call.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return f'has tool call {_short(call["id"])!r} without "function.name"'
        if not isinstance(function.get("arguments", {}), str | dict):
            return f"has tool call {_short(call['id'])!r} whose arguments are not an object"
    return None


_CHECKS = {
    "transcript": _transcript,
    "speech-update": _speech,
    "status-update": _status,
    "tool-calls": _tool_calls,
}
