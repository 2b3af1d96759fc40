"""What happens in a call, told to its client and to its Server URL.

Every event goes to the transport socket as VAPI's client message (`{"type": ...}`) while
one is connected, and, when the assistant's `serverMessages` asks for its type, to the
Server URL as `{"message": {type, ..., timestamp, call, artifact, assistant}}`. The end of
a call is told once: `status-update` ended, then the `end-of-call-report` (server only).
Requests that expect an answer (tool-calls, transfer-destination-request) are sent through
`request`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from .calls import CallRecord, CallStatus, iso
from .event_poster import EventPoster, ServerAnswer
from .server_url import ServerSettings, ServerTarget

# Sent to the Server URL only, never on the transport socket.
_SERVER_ONLY = frozenset({"end-of-call-report", "transfer-destination-request"})


class EventSocket(Protocol):
    """The transport socket's JSON side."""

    def send_event(self, event: dict[str, Any]) -> None: ...


class CallEvents:
    def __init__(
        self, record: CallRecord, settings: ServerSettings, poster: EventPoster | None
    ) -> None:
        self.record = record
        self.settings = settings
        self.poster = poster
        self.socket: EventSocket | None = None
        self._ended = False

    def emit(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if self.socket is not None and kind not in _SERVER_ONLY:
            self.socket.send_event(event)
        if self.poster is None:
            return
        if kind == "transcript":
            posted_as = self.settings.transcript_type(event["transcriptType"])
            if posted_as is not None:
                self.poster.post(self._server_message({**event, "type": posted_as}))
        elif self.settings.wants(kind):
            self.poster.post(self._server_message(event))

    def request(
        self, event: dict[str, Any], target: ServerTarget | None = None
    ) -> asyncio.Future[ServerAnswer] | None:
        """Ask the Server URL (or a tool's own server); None when nobody will be asked."""
        if self.socket is not None and event["type"] not in _SERVER_ONLY:
            self.socket.send_event(event)
        if self.poster is None or (target is None and not self.settings.wants(event["type"])):
            return None
        return self.poster.request(self._server_message(event), target)

    def call_ended(self) -> None:
        """Tell that the call has ended (once), then let the sender finish."""
        record = self.record
        if self._ended or record.status is not CallStatus.ENDED:
            return
        self._ended = True
        reason = record.ended_reason.value if record.ended_reason else None
        self.emit({"type": "status-update", "status": "ended", "endedReason": reason})
        report: dict[str, Any] = {
            "type": "end-of-call-report",
            "endedReason": reason,
            "cost": 0,
            "costs": record.costs(),
            "analysis": {"summary": record.summary()},
            "endedAt": iso(record.ended_at) if record.ended_at else None,
        }
        if record.started_at is not None:
            report["startedAt"] = iso(record.started_at)
        self.emit(report)
        if self.poster is not None:
            self.poster.finish()

    def _server_message(self, event: dict[str, Any]) -> dict[str, Any]:
        record = self.record
        return {
            **event,
            "timestamp": time.time() * 1000,
            "call": record.to_json(),
            "artifact": record.artifact(),
            "assistant": record.request.effective_assistant,
        }
