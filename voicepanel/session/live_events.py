"""LiveEvents: VAPI's live events for one open profile.

Owns the receiver (on the profile's remembered port), the profile's secret, the address
VAPI should post to (loopback for the sandbox, the profile's public address on the cloud),
and the tool desk with the profile's responder rules. Each accepted event is put on the
call's room and peer, journaled, fed to the call's Conversation through the CallBook, and
handed to listeners; tool calls are answered through the desk while VAPI waits.
"""

from __future__ import annotations

import logging
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urlparse

from voicepanel.core.audio.latency import Turn
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_events import (
    CallEvent,
    EventReceiver,
    ReachCheck,
    RejectedPost,
    check_public_url,
    events_url,
    public_url_problem,
)
from voicepanel.core.vapi_gateway import EventSubscription
from voicepanel.session.calls import CallBook
from voicepanel.session.conversation import Conversation, ToolCall
from voicepanel.session.journal import JournalEntry
from voicepanel.session.observable import Callbacks
from voicepanel.session.profiles import SecretName, SecretStore
from voicepanel.session.tool_desk import ToolDesk
from voicepanel.session.tool_responders import ResponderRules

log = logging.getLogger(__name__)

SERVER_TIMEOUT_S = 20.0  # VAPI's default wait for a server's answer
REPLY_MARGIN_S = 0.5  # answer this much before VAPI stops waiting, for the trip back
SERVER_MESSAGES = (
    "status-update",
    "speech-update",
    "transcript",
    "conversation-update",
    "user-interrupted",
    "hang",
    "tool-calls",
    "transfer-destination-request",
    "transfer-update",
    "language-change-detected",
    "end-of-call-report",
)
"""What the panel asks VAPI to post. Not model-output: one post per generated token, and
the transcript already shows what the assistant said."""

NO_PUBLIC_URL = (
    "Live events are off for this call: VAPI cannot reach this computer without a public "
    "address. Add a tunnel's address to the profile to see the transcript, speech and tool "
    "calls as they happen; the transcript still arrives after the call ends."
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class TurnSource(Protocol):
    """What LiveEvents reads of a LocalAgent: its room and its measured turns."""

    room_id: str

    @property
    def on_turn(self) -> Callbacks[Turn]: ...


def is_local_address(url: str | None) -> bool:
    """True for a VAPI (the sandbox) on this computer, which can post to loopback."""
    return bool(url) and (urlparse(url or "").hostname or "") in LOOPBACK_HOSTS


def profile_secret(store: SecretStore, profile: str) -> str:
    """The profile's live events secret, made (and kept in the keyring) the first time."""
    secret = store.get(profile, SecretName.EVENTS_SECRET) or ""
    if not secret:
        secret = secrets.token_urlsafe(32)
        store.set(profile, SecretName.EVENTS_SECRET, secret)
    return secret


def free_port() -> int:
    """A port nothing listens on now, to propose for a new profile's live events."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def check_public_address(
    public_url: str, port: int, secret: str, running: LiveEvents | None = None
) -> ReachCheck:
    """The profile dialog's Test: a post through ``public_url`` must reach VoicePanel on
    ``port``: the profile's receiver when it is open there, else one opened for the test."""
    problem = public_url_problem(public_url)
    if problem:
        return ReachCheck(False, problem)
    if running is not None and running.port == port and running.receiver.running:
        return await running.probe_public_url(public_url)
    receiver = EventReceiver(secret, _ignore)
    try:
        await receiver.start(port)
    except VoicePanelError as exc:
        return ReachCheck(False, f"{exc.message} {exc.hint}")
    try:
        return await check_public_url(public_url, receiver, secret)
    finally:
        await receiver.stop()


async def _ignore(_event: CallEvent) -> None:
    return None  # a call posting while the dialog tests: no workspace to show it in


class LiveEvents:
    """Call ``start(port)`` once, ``stop()`` at the end; ``subscription`` goes on each call."""

    def __init__(
        self,
        calls: CallBook,
        secret: str,
        rules: ResponderRules,
        *,
        journal: Callable[[JournalEntry], None],
        public_url: str | None = None,
        loopback: bool = False,
        timeout_s: float = SERVER_TIMEOUT_S,
    ) -> None:
        self.calls = calls
        self.rules = rules
        self._secret = secret
        self._journal = journal
        self.public_url = public_url
        self.loopback = loopback
        self.timeout_s = timeout_s
        calls.answer_window_s = timeout_s - REPLY_MARGIN_S
        self.receiver = EventReceiver(secret, self._handle, on_rejected=self._rejected)
        self.desk = ToolDesk(rules.for_tool)
        self.on_entry: Callbacks[JournalEntry] = Callbacks("live event")
        self.on_conversation: Callbacks[str] = Callbacks("conversation change")
        """The id of a call whose conversation changed (a line, speech, a turn, a tool
        call, its status), once per change: the card re-reads it."""
        self._watched: set[str] = set()
        self.port_note: str | None = None  # said when the remembered port was taken
        self.failure: VoicePanelError | None = None  # why the receiver is not listening
        self._agents: dict[int, Callable[[], None]] = {}

    # -- starting and stopping -------------------------------------------------------------

    async def start(self, port: int | None = None) -> int | None:
        """Listens on ``port`` (the profile's remembered one), or on any free port when it
        is taken or None. Returns the port, or None when nothing could be opened (then
        ``failure`` says why, and calls start without live events)."""
        if port:
            try:
                return await self.receiver.start(port)
            except VoicePanelError as exc:
                log.warning("Live events: %s", exc)
        try:
            chosen = await self.receiver.start(0)
        except VoicePanelError as exc:
            self.failure = exc
            return None
        if port and self.public_url:
            self.port_note = (
                f"Port {port}, where your tunnel points, is taken by another program, so live "
                f"events now arrive on port {chosen}: point the tunnel at "
                f"http://localhost:{chosen}."
            )
        return chosen

    async def stop(self) -> None:
        for stop_watching in list(self._agents.values()):
            stop_watching()
        await self.desk.close()
        await self.receiver.stop()
        self.on_entry.clear()
        self.on_conversation.clear()

    @property
    def port(self) -> int | None:
        return self.receiver.port

    # -- what calls are told -----------------------------------------------------------------

    @property
    def post_url(self) -> str | None:
        """Where VAPI should post: the public address, or loopback for a local VAPI."""
        if not self.receiver.running:
            return None
        if self.public_url:
            return events_url(self.public_url)
        return self.receiver.local_url if self.loopback else None

    @property
    def subscription(self) -> EventSubscription | None:
        url = self.post_url
        if url is None:
            return None
        return EventSubscription(url, self._secret, self.timeout_s, SERVER_MESSAGES)

    @property
    def missing_reason(self) -> str | None:
        """Why calls started now get no live events, in words; None when they do."""
        if self.failure is not None:
            return f"Live events are off: {self.failure.message} {self.failure.hint}".strip()
        if self.post_url is None:
            return NO_PUBLIC_URL
        return self.port_note

    async def probe_public_url(self, public_url: str) -> ReachCheck:
        return await check_public_url(public_url, self.receiver, self._secret)

    # -- events ------------------------------------------------------------------------------

    async def _handle(self, event: CallEvent) -> dict[str, Any] | None:
        record = self.calls.get(event.call_id or "")
        if record is not None:
            event = replace(event, room_id=record.room_id, peer_id=record.peer_id)
        self._write(event)
        if not event.call_id:
            self.on_entry.emit(event)
            return None
        conversation = self.conversation(event.call_id)
        opened = self.calls.apply_event(event)
        self.on_entry.emit(event)
        if event.type in ("tool-calls", "transfer-destination-request"):
            return await self.desk.answer(conversation, opened)
        return None

    def conversation(self, call_id: str) -> Conversation:
        """The call's conversation, whose changes ``on_conversation`` reports."""
        conversation = self.calls.conversation(call_id)
        if call_id not in self._watched:
            self._watched.add(call_id)

            def changed(_value: object) -> None:
                self.on_conversation.emit(call_id)

            events = conversation.events
            for callbacks in (events.line, events.speech, events.turn, events.tool_call):
                callbacks.subscribe(changed)
            events.status.subscribe(changed)
        return conversation

    def _rejected(self, rejected: RejectedPost) -> None:
        self._write(rejected)
        self.on_entry.emit(rejected)

    def _write(self, entry: JournalEntry) -> None:
        try:
            self._journal(entry)
        except OSError:
            log.exception("Could not write a VAPI event to the journal")

    def answer_tool_call(
        self,
        call_id: str,
        tool_call_id: str,
        *,
        result: str | None = None,
        error: str | None = None,
    ) -> ToolCall:
        """The tester's answer to a tool call; its state says whether VAPI got it."""
        return self.desk.answer_by_hand(call_id, tool_call_id, result=result, error=error)

    # -- the local agent's latency -----------------------------------------------------------

    def watch_agent(self, agent: TurnSource) -> Callable[[], None]:
        """Pairs each voice-to-voice turn a local agent measures with VAPI's view of that
        turn, for the calls in the agent's room; returns the function that stops it
        (watching the same agent twice changes nothing)."""
        if id(agent) in self._agents:
            return self._agents[id(agent)]

        def on_turn(turn: Turn) -> None:
            offset = time.time() - time.perf_counter()  # the agent measures on perf_counter
            for record in self.calls.records:
                if record.room_id == agent.room_id and record.live:
                    self.conversation(record.id).add_local_turn(
                        turn.local_end + offset, turn.reply_start + offset
                    )

        unsubscribe = agent.on_turn.subscribe(on_turn)

        def stop() -> None:
            self._agents.pop(id(agent), None)
            unsubscribe()

        self._agents[id(agent)] = stop
        return stop
