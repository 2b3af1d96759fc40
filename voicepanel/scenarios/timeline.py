"""One run's clock and its timeline: the runner's own steps, the Fishjam notifications of
its room and the VAPI events of its call, on one axis of seconds from the run's start."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from voicepanel.core.notifications import Notification
from voicepanel.scenarios.results import TimelineEntry
from voicepanel.session.journal import JournalEntry

GIST_CHARS = 160


@dataclass
class RunClock:
    """Run seconds from perf_counter (the agent's clock) and from epoch times (VAPI's and
    the receiver's)."""

    perf0: float = field(default_factory=time.perf_counter)
    epoch0: float = field(default_factory=time.time)

    def from_perf(self, at: float) -> float:
        return at - self.perf0

    def from_epoch(self, at: float) -> float:
        return at - self.epoch0

    def now(self) -> float:
        return self.from_perf(time.perf_counter())

    @property
    def epoch_offset(self) -> float:
        """Add to a perf_counter time to get an epoch time."""
        return self.epoch0 - self.perf0


class EventTimeline:
    """Collects while the run goes (``mark``, ``notification``, ``vapi``); ``entries``
    keeps what concerns the run's room and call, in order."""

    def __init__(self, clock: RunClock) -> None:
        self.clock = clock
        self._marks: list[TimelineEntry] = []
        self._notifications: list[Notification] = []
        self._vapi: list[JournalEntry] = []

    def mark(self, kind: str, details: str = "") -> None:
        self._marks.append(TimelineEntry(self.clock.now(), "runner", kind, details))

    def notification(self, notification: Notification) -> None:
        self._notifications.append(notification)

    def vapi(self, entry: JournalEntry) -> None:
        self._vapi.append(entry)

    def entries(self, room_id: str | None, call_id: str | None) -> tuple[TimelineEntry, ...]:
        found = list(self._marks)
        for n in self._notifications:
            if room_id is not None and n.room_id == room_id:
                who = n.peer_id or n.track_id or ""
                found.append(
                    TimelineEntry(self.clock.from_epoch(n.received_at), "fishjam", n.kind, who)
                )
        for entry in self._vapi:
            entry_call = getattr(entry, "call_id", None)
            if entry_call is not None and entry_call != call_id:
                continue  # another call's (a refused post has none: it is kept)
            received = float(getattr(entry, "received_at", self.clock.epoch0))
            kind = str(getattr(entry, "type", None) or getattr(entry, "kind", "vapi"))
            gist = event_gist(getattr(entry, "details", None) or {})
            found.append(TimelineEntry(self.clock.from_epoch(received), "vapi", kind, gist))
        return tuple(sorted(found, key=lambda e: e.at))


def event_gist(details: dict[str, Any]) -> str:
    """A VAPI event's gist: its status, role, transcript, end reason, tools called."""
    parts = []
    for key in ("status", "role", "transcriptType", "transcript", "endedReason"):
        value = details.get(key)
        if value:
            parts.append(str(value) if key != "transcript" else f'"{value}"')
    calls = details.get("toolCallList")
    if isinstance(calls, list):
        parts.extend(
            str((c.get("function") or {}).get("name", "?")) for c in calls if isinstance(c, dict)
        )
    text = " ".join(parts)
    return text if len(text) <= GIST_CHARS else text[: GIST_CHARS - 3] + "..."
