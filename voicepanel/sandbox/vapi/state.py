"""What one VAPI sandbox holds: its key, its assistants, the call records, the live calls,
their listen taps and their event senders. The route handlers share it; nothing else does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .assistants import Timing
from .call_events import CallEvents
from .calls import CallBook, CallRecord, EndedReason
from .conversation import LiveCall
from .event_poster import EventPoster, new_http_session
from .listen import ListenTap


@dataclass
class SandboxState:
    api_key: str
    timing: Timing
    assistants: dict[str, dict[str, Any]]
    queued_timeout_s: float
    book: CallBook = field(default_factory=CallBook)
    live: dict[str, LiveCall] = field(default_factory=dict)
    taps: dict[str, ListenTap] = field(default_factory=dict)
    events: dict[str, CallEvents] = field(default_factory=dict)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    expiries: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    closing: bool = False
    _http: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        """The session every call's Server URL sender shares, opened on first use."""
        if self._http is None or self._http.closed:
            self._http = new_http_session()
        return self._http

    async def close_http(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def events_for(self, record: CallRecord) -> CallEvents:
        """The call's event fan-out, made when the call is created."""
        events = self.events.get(record.id)
        if events is None:
            settings = record.request.server
            poster = None
            if settings.target is not None:
                poster = EventPoster(settings.target, self.http, record.id)
                self.keep(poster.task)
            events = self.events[record.id] = CallEvents(record, settings, poster)
        return events

    def end_queued(self, record: CallRecord, reason: EndedReason) -> None:
        """End a call nothing is connected to, and tell its Server URL."""
        if record.end(reason):
            self.call_ended(record)

    def call_ended(self, record: CallRecord) -> None:
        events = self.events.pop(record.id, None)
        if events is not None:
            events.call_ended()
        close_tap_later(self, record.id)

    def keep(self, task: asyncio.Task[Any]) -> None:
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def close_tap_later(state: SandboxState, call_id: str) -> None:
    """Close a finished call's listen tap in the background (its listeners hear the end)."""
    tap = state.taps.pop(call_id, None)
    if tap is None:
        return
    state.keep(asyncio.get_running_loop().create_task(tap.close(), name="vapi-listen-close"))
