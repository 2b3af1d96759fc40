"""CallBook: the VAPI calls this panel started, kept fresh by polling VAPI and by their
live events, and steered (say a line, add a message, mute, end the call) through the call's
control URL.

A call that is not ended is polled every couple of seconds (slower while VAPI errors), then
once more a little after it ends, to pick up the end-of-call report (transcript, summary,
cost). Records are frozen values: each change replaces the record and tells the listeners.
Each call's live events build its `Conversation` (``conversation(call_id)``); a status
update or an end-of-call report among them changes the record at once, without waiting
for the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from voicepanel.core.audio.listen_player import ListenPlayer, ListenStatus
from voicepanel.core.errors import VoicePanelError, failure_of
from voicepanel.core.vapi_events import CallEvent
from voicepanel.core.vapi_gateway import CallInfo, VapiGateway
from voicepanel.session.conversation import Conversation, ToolCall
from voicepanel.session.observable import Callbacks

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 2.0
Early = TypeVar("Early")
MAX_EARLY = 100  # crashes and status events of calls not yet in the book, kept until added
MAX_BACKOFF_S = 30.0
REPORT_DELAY_S = 3.0
START_WAIT_S = 10.0
EVENTS_QUIET_S = 10.0
# While a call's live events keep coming they say what polling would (its status, its
# end), so it is read from VAPI only after this long without one: each read costs the
# loop tens of milliseconds of the SDK's model parsing.
# A call stays queued until Fishjam connects the VAPI peer to it, and VAPI refuses to steer
# a call before it starts: say and end wait this long for it.
NOT_STARTED = frozenset({"scheduled", "queued", "ringing"})


@dataclass(frozen=True)
class CallRecord:
    call: CallInfo
    room_id: str | None
    peer_id: str | None = None  # the VAPI peer carrying the call, once Fishjam made it
    started_by_us: bool = True
    started_at: float = field(default_factory=time.time)
    last_error: str | None = None  # the last failure to reach or steer the call, in words
    peer_crash_reason: str | None = None  # Fishjam's PeerCrashed reason for the VAPI peer
    # Why the panel hung the call up ("End call", "quitting"), once VAPI took the request:
    # VAPI's own endedReason for such a call blames the assistant, not the person.
    ended_by_panel: str | None = None
    events_missing: str | None = None  # why this call sends no live events; None: it does
    assistant_muted: bool = False

    @property
    def id(self) -> str:
        return self.call.id

    @property
    def status(self) -> str:
        return self.call.status

    @property
    def ended(self) -> bool:
        return self.call.ended

    @property
    def live(self) -> bool:
        """Still running (or not yet known to have stopped), so possibly still billing."""
        return not self.ended


def _words(exc: VoicePanelError) -> str:
    return f"{exc.message} {exc.hint}".strip()


class CallBook:
    """The calls by id; polls each until it ends. ``vapi`` may be attached later (the
    workspace creates the book first, so the UI can listen before connecting)."""

    def __init__(
        self,
        vapi: VapiGateway | None = None,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        report_delay_s: float = REPORT_DELAY_S,
        start_wait_s: float = START_WAIT_S,
    ) -> None:
        self.vapi = vapi  # None until a profile with a VAPI key is connected
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._report_delay_s = report_delay_s
        self._start_wait_s = start_wait_s
        self._records: dict[str, CallRecord] = {}
        # Crashes of peers no record carries yet: Fishjam can report a VAPI peer's crash
        # before the call is put in the book with that peer (a call id it cannot find
        # fails within milliseconds); the record takes the reason when it gets the peer.
        self._early_crashes: dict[str, str] = {}
        # Likewise a call's live status can arrive before its record: the sandbox (and
        # VAPI) may post "in-progress" while the call is still being put in the book. The
        # record starts from the latest of them, or it would read "queued" until polling,
        # which those events hold off for EVENTS_QUIET_S.
        self._early_status: dict[str, CallEvent] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._changed: Callbacks[CallRecord] = Callbacks("call book")
        self._conversations: dict[str, Conversation] = {}
        self._last_event: dict[str, float] = {}  # call id -> time.monotonic() of its last event
        self._players: list[ListenPlayer] = []  # stopped on close: no sound after the panel
        self.answer_window_s = 19.5  # how long a tool call waits; set by the live events
        self._closed = False

    # -- reading -------------------------------------------------------------------------

    def on_change(self, callback: Callable[[CallRecord], None]) -> Callable[[], None]:
        """Calls ``callback`` with the new record after every change; returns unsubscribe."""
        return self._changed.subscribe(callback)

    @property
    def records(self) -> list[CallRecord]:
        """Every call, oldest first."""
        return sorted(self._records.values(), key=lambda r: r.started_at)

    def get(self, call_id: str) -> CallRecord | None:
        return self._records.get(call_id)

    def conversation(self, call_id: str) -> Conversation:
        """The call's live conversation (empty until its first event)."""
        conversation = self._conversations.get(call_id)
        if conversation is None:
            conversation = Conversation(call_id, self.answer_window_s)
            self._conversations[call_id] = conversation
        return conversation

    def for_peer(self, peer_id: str) -> CallRecord | None:
        return next((r for r in self._records.values() if r.peer_id == peer_id), None)

    @property
    def live(self) -> list[CallRecord]:
        """Calls this panel started that have not ended."""
        return [r for r in self.records if r.started_by_us and r.live]

    @property
    def has_live(self) -> bool:
        return bool(self.live)

    # -- writing -------------------------------------------------------------------------

    def _put(self, record: CallRecord) -> CallRecord:
        if record.peer_id in self._early_crashes and record.peer_crash_reason is None:
            record = replace(record, peer_crash_reason=self._early_crashes.pop(record.peer_id))
        self._records[record.id] = record
        self._changed.emit(record)
        return record

    def _require(self, call_id: str) -> CallRecord:
        record = self._records.get(call_id)
        if record is None:
            raise VoicePanelError(
                "This call is not one the panel knows.", "Refresh the list of calls."
            )
        return record

    def add(
        self,
        call: CallInfo,
        room_id: str | None,
        peer_id: str | None = None,
        *,
        started_by_us: bool = True,
        events_missing: str | None = None,
    ) -> CallRecord:
        """Tracks a call; polling starts if it has not ended (needs a running loop).
        ``events_missing`` says why no live events will come, when none will."""
        old = self._records.get(call.id)
        if old is not None:
            record = replace(old, call=call, room_id=room_id, peer_id=peer_id or old.peer_id)
        else:
            early = self._early_status.pop(call.id, None)
            if early is not None:
                call = _call_with(call, early)
            record = CallRecord(
                call,
                room_id,
                peer_id,
                started_by_us=started_by_us,
                events_missing=events_missing,
            )
        self._put(record)
        self._ensure_poller(call.id)
        return record

    def set_peer(self, call_id: str, peer_id: str) -> CallRecord:
        return self._put(replace(self._require(call_id), peer_id=peer_id))

    def peer_crashed(self, peer_id: str, reason: str) -> CallRecord | None:
        """Fishjam says the VAPI peer carrying a call crashed; the record shows why."""
        reason = reason or "no reason given"
        record = self.for_peer(peer_id)
        if record is None:
            _keep_early(self._early_crashes, peer_id, reason)
            return None
        self._put(replace(record, peer_crash_reason=reason))
        return self._records[record.id]

    def apply_event(self, event: CallEvent) -> list[ToolCall]:
        """Feeds a live event to its call's conversation; a status change or the
        end-of-call report updates the record now. Returns the tool calls it opened."""
        if not event.call_id:
            return []
        self._last_event[event.call_id] = time.monotonic()
        opened = self.conversation(event.call_id).apply(event)
        if event.type not in ("status-update", "end-of-call-report"):
            return opened
        record = self._records.get(event.call_id)
        if record is None:
            _keep_early(self._early_status, event.call_id, event)
        else:
            call = _call_with(record.call, event)
            if call != record.call:
                self._put(replace(record, call=call))
                if call.ended:
                    self._ensure_poller(record.id)  # one more read picks up the report
        return opened

    def _update(self, call: CallInfo, error: str | None = None) -> CallRecord:
        record = self._records.get(call.id)
        if record is None:  # forgotten meanwhile (closed)
            return CallRecord(call, None)
        return self._put(replace(record, call=call, last_error=error))

    def _set_error(self, call_id: str, error: str) -> None:
        record = self._records.get(call_id)
        if record is not None and record.last_error != error:
            self._put(replace(record, last_error=error))

    # -- talking to VAPI -----------------------------------------------------------------

    def _gateway(self) -> VapiGateway:
        if self.vapi is None:
            raise VoicePanelError(
                "This profile has no VAPI key, so assistants cannot be used.",
                "Add the VAPI private API key to the profile.",
            )
        return self.vapi

    async def refresh(self, call_id: str) -> CallRecord:
        """Reads the call from VAPI now."""
        self._require(call_id)
        try:
            call = await self._gateway().get_call(call_id)
        except VoicePanelError as exc:
            self._set_error(call_id, _words(exc))
            raise
        return self._update(call)

    async def _started(self, call_id: str, action: str, wait_s: float | None = None) -> CallRecord:
        """The record once the call runs (or ended); raises if it is still not started
        after ``wait_s`` (default ``start_wait_s``)."""
        with contextlib.suppress(VoicePanelError):
            await self.refresh(call_id)
        wait_s = self._start_wait_s if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s
        record = self._require(call_id)
        while record.status in NOT_STARTED and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            with contextlib.suppress(VoicePanelError):
                await self.refresh(call_id)
            record = self._require(call_id)
        if record.status in NOT_STARTED:
            raise VoicePanelError(
                f"{action} The call has not started yet (status {record.status}).",
                "Fishjam has not connected the assistant to it; wait a moment and try again.",
            )
        return record

    async def say(self, call_id: str, text: str, end_after: bool = False) -> None:
        """Makes the assistant say ``text`` (and hang up after it, if asked); waits for a
        call that has not started yet."""
        record = await self._started(call_id, "Could not make the assistant speak.")
        if record.ended:
            raise VoicePanelError("The call has already ended.", "Start a new call.")
        try:
            await self._gateway().say(record.call, text, end_call_after=end_after)
        except VoicePanelError as exc:
            self._set_error(call_id, _words(exc))
            raise

    async def add_message(
        self, call_id: str, role: str, content: str, trigger_response: bool = True
    ) -> None:
        """Adds a user or system message to the conversation (and lets the assistant answer
        it, if asked); waits for a call that has not started yet."""
        record = await self._live_record(call_id, "Could not add the message.")
        try:
            await self._gateway().add_message(record.call, role, content, trigger_response)
        except VoicePanelError as exc:
            self._set_error(call_id, _words(exc))
            raise

    async def set_assistant_muted(self, call_id: str, muted: bool) -> CallRecord:
        """Mutes or unmutes the assistant's voice; the record remembers which."""
        what = "mute" if muted else "unmute"
        record = await self._live_record(call_id, f"Could not {what} the assistant.")
        try:
            await self._gateway().set_assistant_muted(record.call, muted)
        except VoicePanelError as exc:
            self._set_error(call_id, _words(exc))
            raise
        return self._put(replace(self._require(call_id), assistant_muted=muted))

    def listener(
        self,
        call_id: str,
        on_status: Callable[[ListenStatus], None],
        volume: float = 1.0,
    ) -> ListenPlayer:
        """A player for the call's live audio (not started: ``start()`` it); raises when
        the call cannot be listened to."""
        record = self._require(call_id)
        if record.ended:
            raise VoicePanelError("The call has ended: there is nothing to listen to.", "")
        url = record.call.listen_url
        if not url:
            raise VoicePanelError(
                "VAPI gave no listen address for this call.",
                "Wait until the call is in progress, then try again.",
            )
        player = ListenPlayer(url, _sample_rate(record.call), on_status=on_status, volume=volume)
        self._players = [p for p in self._players if p.running] + [player]
        return player

    async def _live_record(self, call_id: str, action: str) -> CallRecord:
        record = await self._started(call_id, action)
        if record.ended:
            raise VoicePanelError(f"{action} The call has already ended.", "Start a new call.")
        return record

    async def end(
        self, call_id: str, start_wait_s: float | None = None, *, why: str = "End call"
    ) -> CallRecord:
        """Hangs the call up (never deletes its record at VAPI); waits up to
        ``start_wait_s`` for a call that has not started yet. ``why`` is kept on the record
        (``ended_by_panel``) so the card says the panel ended it."""
        record = self._require(call_id)
        if record.ended:
            return record
        record = await self._started(call_id, "Could not end the call.", start_wait_s)
        if record.ended:
            return record
        try:
            await self._gateway().end_call(record.call)
        except VoicePanelError as exc:
            self._set_error(call_id, _words(exc))
            raise
        self._put(replace(self._require(call_id), ended_by_panel=why))
        with contextlib.suppress(VoicePanelError):
            record = await self.refresh(call_id)
        self._ensure_poller(call_id)
        return record

    async def wait_ended(self, call_id: str, timeout_s: float, poll_s: float = 0.25) -> CallRecord:
        """Polls quickly until the call ends or ``timeout_s`` passes; returns the record."""
        deadline = time.monotonic() + timeout_s
        record = self._require(call_id)
        while not record.ended and time.monotonic() < deadline:
            await asyncio.sleep(poll_s)
            with contextlib.suppress(VoicePanelError):
                await self.refresh(call_id)
            record = self._require(call_id)
        return record

    async def end_all_live(
        self, confirm_timeout_s: float = 3.0, start_wait_s: float = 3.0
    ) -> list[VoicePanelError]:
        """Ends every live call this panel started (for quitting); returns the failures.
        Waits up to ``start_wait_s`` for calls that have not started, and up to
        ``confirm_timeout_s`` for VAPI to report them ended."""
        live = self.live
        results = await asyncio.gather(
            *(self.end(r.id, start_wait_s, why="quitting") for r in live),
            return_exceptions=True,
        )
        failures = [
            failure_of(result, f"end call {record.id}")
            for record, result in zip(live, results, strict=True)
        ]
        errors = [failure for failure in failures if failure is not None]
        ended = [
            r for r, res in zip(live, results, strict=True) if not isinstance(res, BaseException)
        ]
        if ended and confirm_timeout_s > 0:
            await asyncio.gather(*(self.wait_ended(r.id, confirm_timeout_s) for r in ended))
        return errors

    # -- polling -------------------------------------------------------------------------

    def _ensure_poller(self, call_id: str) -> None:
        if self._closed:
            return
        task = self._pollers.get(call_id)
        if task is not None and not task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pollers[call_id] = loop.create_task(self._poll(call_id), name=f"poll call {call_id}")

    async def _poll(self, call_id: str) -> None:
        delay = self._poll_interval_s
        while True:
            record = self._records.get(call_id)
            if record is None:
                return
            if record.ended:
                # One more read a little later: the end-of-call report arrives after the end.
                await asyncio.sleep(self._report_delay_s)
                with contextlib.suppress(VoicePanelError):
                    await self.refresh(call_id)
                return
            await asyncio.sleep(delay)
            if time.monotonic() - self._last_event.get(call_id, -EVENTS_QUIET_S) < EVENTS_QUIET_S:
                continue  # its live events keep it current
            try:
                await self.refresh(call_id)
            except VoicePanelError:
                delay = min(delay * 2, self._max_backoff_s)
            except Exception:
                log.exception("Polling call %s failed", call_id)
                delay = min(delay * 2, self._max_backoff_s)
            else:
                delay = self._poll_interval_s

    async def close(self) -> None:
        """Stops polling (the calls themselves are ended by end_all_live, not here)."""
        self._closed = True
        players, self._players = self._players, []
        await asyncio.gather(*(p.stop() for p in players), return_exceptions=True)
        tasks = list(self._pollers.values())
        self._pollers.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._changed.clear()
        for conversation in self._conversations.values():
            conversation.events.clear()


def _sample_rate(call: CallInfo) -> int:
    transport = call.raw.get("transport")
    audio = transport.get("audioFormat") if isinstance(transport, dict) else None
    rate = audio.get("sampleRate") if isinstance(audio, dict) else None
    return int(rate) if isinstance(rate, int) and rate > 0 else 16000


def _keep_early(early: dict[str, Early], key: str, value: Early) -> None:
    """Keeps what came before its record, the oldest dropped beyond ``MAX_EARLY``."""
    early[key] = value
    while len(early) > MAX_EARLY:
        del early[next(iter(early))]


def _call_with(call: CallInfo, event: CallEvent) -> CallInfo:
    """``call`` as a status update or end-of-call report describes it."""
    d = event.details
    status = "ended" if event.type == "end-of-call-report" else str(d.get("status") or call.status)
    if call.ended and status != "ended":
        return call  # a late post never revives an ended call
    analysis = d.get("analysis")
    artifact = d.get("artifact")
    summary = analysis.get("summary") if isinstance(analysis, dict) else None
    transcript = artifact.get("transcript") if isinstance(artifact, dict) else None
    cost = d.get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        cost = call.cost
    return replace(
        call,
        status=status,
        ended_reason=str(d.get("endedReason") or "") or call.ended_reason,
        summary=str(summary or "") or call.summary,
        transcript=str(transcript or "") or call.transcript,
        cost=cost,
    )
