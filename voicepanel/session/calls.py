"""CallBook: the VAPI calls this panel started, kept fresh by polling VAPI, and steered
(say a line, end the call) through the call's control URL.

A call that is not ended is polled every couple of seconds (slower while VAPI errors), then
once more a little after it ends, to pick up the end-of-call report (transcript, summary,
cost). Records are frozen values: each change replaces the record and tells the listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from voicepanel.core.errors import VoicePanelError, failure_of
from voicepanel.core.vapi_gateway import CallInfo, VapiGateway
from voicepanel.session.observable import Callbacks

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 2.0
MAX_BACKOFF_S = 30.0
REPORT_DELAY_S = 3.0
START_WAIT_S = 10.0
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
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._changed: Callbacks[CallRecord] = Callbacks("call book")
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
    ) -> CallRecord:
        """Tracks a call; polling starts if it has not ended (needs a running loop)."""
        old = self._records.get(call.id)
        if old is not None:
            record = replace(old, call=call, room_id=room_id, peer_id=peer_id or old.peer_id)
        else:
            record = CallRecord(call, room_id, peer_id, started_by_us=started_by_us)
        self._put(record)
        self._ensure_poller(call.id)
        return record

    def set_peer(self, call_id: str, peer_id: str) -> CallRecord:
        return self._put(replace(self._require(call_id), peer_id=peer_id))

    def peer_crashed(self, peer_id: str, reason: str) -> CallRecord | None:
        """Fishjam says the VAPI peer carrying a call crashed; the record shows why."""
        record = self.for_peer(peer_id)
        if record is None:
            return None
        self._put(replace(record, peer_crash_reason=reason or "no reason given"))
        return self._records[record.id]

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
        tasks = list(self._pollers.values())
        self._pollers.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._changed.clear()
