"""Workspace: one connected profile. Owns the gateways, the resilient notifier, the room
tree, the notification journal, the call book and VAPI's live events, and offers the
panel's actions on them.

Every notification is journaled first (so nothing shown is ever lost), then applied to the
tree, then handed to listeners. Gaps in the stream are journaled too (JournalContinuity):
the link dropping and coming back, and what the re-read after it found changed.
Whatever the workspace creates (VAPI calls, agents) it writes in the StartedLedger before
creating it, and cleans up on close, so nothing keeps running or billing after the panel
quits; after a crash, ``recovery`` finds what an earlier run left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, PeerInfo, RoomInfo, RoomSpec
from voicepanel.core.notifications import Notification
from voicepanel.core.notifier import NotifierState, NotifierStatus, ResilientNotifier
from voicepanel.core.redact import REDACTOR, Redactor
from voicepanel.core.vapi_gateway import AssistantInfo, CallInfo, VapiGateway
from voicepanel.session.calls import NOT_STARTED, CallBook, CallRecord
from voicepanel.session.continuity import JournalContinuity
from voicepanel.session.journal import NotificationJournal
from voicepanel.session.ledger import Settled, StartedKind, StartedLedger
from voicepanel.session.live_events import (
    SERVER_TIMEOUT_S,
    LiveEvents,
    is_local_address,
    profile_secret,
)
from voicepanel.session.names import NameBook
from voicepanel.session.observable import Callbacks
from voicepanel.session.paths import data_dir as default_data_dir
from voicepanel.session.profiles import (
    Profile,
    ProfileKind,
    ProfileStore,
    SecretName,
    SecretStore,
)
from voicepanel.session.recovery import LeftoverRecovery
from voicepanel.session.state import RoomTree, TreeDifference
from voicepanel.session.tool_responders import ResponderRules
from voicepanel.session.webhook_checks import WebhookChecks

if TYPE_CHECKING:
    from fishjam.agent import Agent

log = logging.getLogger(__name__)


class SandboxSecrets(Protocol):
    token: str
    vapi_key: str


class Sandbox(Protocol):
    """What the workspace uses of ``voicepanel.sandbox.server.Sandbox``."""

    @property
    def config(self) -> SandboxSecrets: ...
    @property
    def fishjam_url(self) -> str: ...
    @property
    def vapi_base_url(self) -> str: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def _new_sandbox(port: int) -> Sandbox:
    # Imported by name, and only for the Sandbox profile: the server is a separate program
    # that the app happens to host, not a layer the session is built on.
    server = importlib.import_module("voicepanel.sandbox.server")
    sandbox: Sandbox = server.Sandbox(server.SandboxConfig(port=port))
    return sandbox


CloseHook = Callable[[], Awaitable[None]]

LIVE_WAIT_S = 5.0  # how long open() waits for the notifier before carrying on without it
RESYNC_READS = 3  # a re-read overtaken by a change is read again, at most this many times


class WorkspaceState(Enum):
    NEW = "new"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Workspace:
    """One profile, connected: call ``open()``, use the actions, then ``close()``."""

    def __init__(
        self,
        profile: Profile,
        secrets: SecretStore,
        data_dir: Path | None = None,
        *,
        sandbox: Sandbox | None = None,
        sandbox_port: int = 0,
        redactor: Redactor = REDACTOR,
        call_poll_interval_s: float = 2.0,
        profile_store: ProfileStore | None = None,
        events_timeout_s: float = SERVER_TIMEOUT_S,
    ) -> None:
        self.profile = profile
        self._profile_store = profile_store  # remembers the live events' port
        self._events_timeout_s = events_timeout_s  # how long VAPI waits for a tool's answer
        self._secrets = secrets
        self.data_dir = data_dir if data_dir is not None else default_data_dir()
        self._given_sandbox = sandbox
        self._sandbox_port = sandbox_port
        self._redactor = redactor

        self.state = WorkspaceState.NEW
        self.sandbox: Sandbox | None = None
        self._owns_sandbox = False
        self._fishjam: FishjamGateway | None = None
        self._vapi: VapiGateway | None = None
        self._vapi_key = ""
        self._notifier: ResilientNotifier | None = None
        self.tree = RoomTree()
        self.names = NameBook.for_profile(profile.name)  # people's names for rooms and peers
        self.webhooks = WebhookChecks(from_cloud=not profile.is_sandbox)
        self._tree_writes = 0  # counts tree changes, so a re-read can tell it was overtaken
        self.tree.subscribe(self._count_tree_write)
        self._journal: NotificationJournal | None = None
        self.calls = CallBook(poll_interval_s=call_poll_interval_s)
        self.live: LiveEvents | None = None  # VAPI's live events, with a VAPI key
        self.ledger = StartedLedger(self.data_dir / "ledger", profile.name)
        self.calls.on_change(self._call_changed)
        self.recovery: LeftoverRecovery | None = None  # once open
        self.notifier_status = NotifierStatus(NotifierState.CONNECTING)
        self._settled = asyncio.Event()  # the notifier is LIVE, or FAILED for good

        self._notifications: Callbacks[Notification] = Callbacks("notification")
        self._continuity = JournalContinuity(self._record)
        self._statuses: Callbacks[NotifierStatus] = Callbacks("notifier status")
        self._close_hooks: list[CloseHook] = []
        self._agents: dict[str, Agent] = {}  # peer id -> agent this workspace created
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rooms_to_fill: set[str] = set()

    # -- what it owns --------------------------------------------------------------------

    @property
    def fishjam(self) -> FishjamGateway:
        if self._fishjam is None:
            raise VoicePanelError("The workspace is not connected.", "Connect a profile first.")
        return self._fishjam

    @property
    def vapi(self) -> VapiGateway:
        if self._vapi is None:
            raise VoicePanelError(
                "This profile has no VAPI key, so assistants cannot be used.",
                "Add the VAPI private API key to the profile.",
            )
        return self._vapi

    @property
    def has_vapi(self) -> bool:
        return self._vapi is not None

    @property
    def journal(self) -> NotificationJournal:
        if self._journal is None:
            raise VoicePanelError("The workspace is not connected.", "Connect a profile first.")
        return self._journal

    @property
    def fishjam_url(self) -> str:
        return self.fishjam.fishjam_url

    @property
    def has_live_calls(self) -> bool:
        """True when calls this panel started are still running (for the quit prompt)."""
        return self.calls.has_live

    # -- listening -----------------------------------------------------------------------

    def on_notification(self, callback: Callable[[Notification], None]) -> Callable[[], None]:
        """Every notification, after it was journaled and applied to the tree."""
        return self._notifications.subscribe(callback)

    def on_notifier_status(self, callback: Callable[[NotifierStatus], None]) -> Callable[[], None]:
        return self._statuses.subscribe(callback)

    def add_close_hook(self, hook: CloseHook) -> Callable[[], None]:
        """``await hook()`` runs first on close (the local agent disconnects there);
        returns the function that removes it."""
        self._close_hooks.append(hook)

        def remove() -> None:
            if hook in self._close_hooks:
                self._close_hooks.remove(hook)

        return remove

    # -- opening and closing -------------------------------------------------------------

    async def open(self) -> None:
        """Connects: starts the sandbox for the Sandbox profile, reads every room, starts
        the notifier and waits briefly for it. Raises VoicePanelError (and leaves nothing
        running) when the server cannot be reached or refuses the token."""
        if self.state is not WorkspaceState.NEW:
            raise VoicePanelError("This workspace was already opened.", "Open a new one.")
        self.state = WorkspaceState.OPENING
        try:
            fishjam_id, token, vapi_base_url = await self._connection()
            self._fishjam = FishjamGateway(fishjam_id, token)
            rooms = await self._fishjam.list_rooms()
            if self._vapi_key:
                self._vapi = VapiGateway(self._vapi_key, vapi_base_url)
                self.calls.vapi = self._vapi
            self._journal = self._open_journal()
            self.recovery = LeftoverRecovery(
                self.ledger.folder, self.profile.name, self._fishjam, self._vapi
            )
            if self._vapi is not None:
                await self._start_live_events(vapi_base_url)
            self.tree.replace_all(rooms)
            self.names.keep_only((r.id for r in rooms), (p.id for r in rooms for p in r.peers))
            self._notifier = ResilientNotifier(
                fishjam_id,
                token,
                on_notification=self._handle_notification,
                on_status=self._handle_status,
                on_resync=self._resync_after_connect,
            )
            self._notifier.start()
        except BaseException:
            await self._release()
            self.state = WorkspaceState.CLOSED
            raise
        self.state = WorkspaceState.OPEN
        await self.wait_live(LIVE_WAIT_S)

    async def _connection(self) -> tuple[str, str, str | None]:
        """(fishjam_id, management token, VAPI base URL); starts the sandbox if needed."""
        if self.profile.kind is ProfileKind.SANDBOX:
            sandbox = self._given_sandbox
            if sandbox is None:
                sandbox = _new_sandbox(self._sandbox_port)
                try:
                    await sandbox.start()
                except OSError as exc:
                    raise VoicePanelError(
                        "Could not start the built-in sandbox.",
                        "Another program may use its port; choose another or use port 0.",
                        cause=exc,
                    ) from exc
                self._owns_sandbox = True
            self.sandbox = sandbox
            self._vapi_key = sandbox.config.vapi_key
            self._redactor.add(sandbox.config.token)
            self._redactor.add(self._vapi_key)
            return sandbox.fishjam_url, sandbox.config.token, sandbox.vapi_base_url
        token = self._secrets.get(self.profile.name, SecretName.MANAGEMENT_TOKEN) or ""
        if not token:
            raise VoicePanelError(
                f'The profile "{self.profile.name}" has no management token.',
                "Edit the profile and paste the token from the Fishjam dashboard.",
            )
        self._vapi_key = self._secrets.get(self.profile.name, SecretName.VAPI_KEY) or ""
        self._redactor.add(token)
        self._redactor.add(self._vapi_key)
        return self.profile.fishjam_id, token, self.profile.vapi_base_url

    async def _start_live_events(self, vapi_base_url: str | None) -> None:
        """Listens for the live events of the calls this profile starts."""
        name = self.profile.name
        secret = profile_secret(self._secrets, name)
        self._redactor.add(secret)
        live = LiveEvents(
            self.calls,
            secret,
            ResponderRules(name),
            journal=self.journal.append,
            public_url=None if self.profile.is_sandbox else self.profile.public_url,
            loopback=self.profile.is_sandbox or is_local_address(vapi_base_url),
            timeout_s=self._events_timeout_s,
        )
        port = await live.start(self.profile.events_port)
        if port is not None and self._profile_store is not None:
            self.profile = self._profile_store.remember_events_port(name, port) or self.profile
        self.live = live

    def _open_journal(self) -> NotificationJournal:
        folder = self.data_dir / "journal"
        try:
            return NotificationJournal(folder)
        except OSError as exc:
            raise VoicePanelError(
                f"Could not open the notification journal in {folder}.",
                "Check that the folder exists and that you may write to it.",
                cause=exc,
            ) from exc

    async def wait_live(self, timeout_s: float) -> bool:
        """Waits until the notifier is subscribed (or has failed for good); True if live."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout_s)
        return self.notifier_status.state is NotifierState.LIVE

    async def close(self, end_calls: bool = True) -> None:
        """Disconnects: runs the close hooks (local agent), ends the live calls it started
        (unless ``end_calls`` is False), deletes its agents, stops the notifier, closes the
        journal and stops the sandbox it started. Never raises for a cleanup failure."""
        if self.state in (WorkspaceState.CLOSING, WorkspaceState.CLOSED):
            return
        self.state = WorkspaceState.CLOSING
        for hook in reversed(self._close_hooks):
            try:
                await hook()
            except Exception:
                log.exception("A close hook failed")
        self._close_hooks.clear()
        if end_calls and self.has_vapi:
            for error in await self.calls.end_all_live():
                log.warning("Could not end a call on close: %s", error)
            # A call VAPI would not end yet: removing its peer stops Fishjam connecting it.
            for record in self.calls.live:
                if record.room_id and record.peer_id:
                    with contextlib.suppress(VoicePanelError):
                        await self.fishjam.delete_peer(record.room_id, record.peer_id)
        elif not end_calls:
            for record in self.calls.live:  # the person chose to leave them running
                self._settle(record.id, Settled.KEPT)
        for peer_id, agent in list(self._agents.items()):
            with contextlib.suppress(Exception):
                await self.fishjam.delete_peer(agent.room_id, peer_id)
                self._settle(peer_id, Settled.ENDED)
        self._agents.clear()
        for entry in self.ledger.open_entries:
            log.warning("May still be running after closing: %s", entry.describe())
        self.ledger.close()
        await self._release()
        self.state = WorkspaceState.CLOSED

    async def _release(self) -> None:
        """Stops what runs, in the reverse order of open()."""
        if self.live is not None:
            await self.live.stop()
        await self.webhooks.close()
        await self.calls.close()
        if self._notifier is not None:
            try:
                await self._notifier.stop()
            except Exception:
                log.exception("Stopping the notifier failed")
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for gateway in (self._vapi, self._fishjam):
            if gateway is not None:
                with contextlib.suppress(Exception):
                    await gateway.close()
        if self._journal is not None:
            self._journal.close()
        if self.sandbox is not None and self._owns_sandbox:
            try:
                await self.sandbox.stop()
            except Exception:
                log.exception("Stopping the sandbox failed")
            self._owns_sandbox = False
        self._notifications.clear()
        self._statuses.clear()

    # -- notifications -------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    def _journal_append(self, n: Notification) -> None:
        if self._journal is not None:
            try:
                self._journal.append(n)
            except OSError:
                log.exception("Could not write the notification journal")

    def _record(self, n: Notification) -> None:
        """A record of the panel's own (a gap, a re-read's finding): journaled and shown,
        not applied to the tree (the re-read already did)."""
        self._journal_append(n)
        self._notifications.emit(n)

    def _handle_notification(self, n: Notification) -> None:
        self._journal_append(n)
        self.tree.apply(n)
        room = self.tree.rooms.get(n.room_id or "")
        if n.kind == "RoomCreated" and room is not None and not room.config_known:
            if not self._rooms_to_fill:
                self._spawn(self._fill_rooms(), "read new rooms")
            self._rooms_to_fill.add(room.id)
        elif n.kind == "PeerCrashed" and n.peer_id:
            self.calls.peer_crashed(n.peer_id, str(n.details.get("reason") or ""))
        self._notifications.emit(n)

    async def _fill_rooms(self) -> None:
        """Reads the configuration of rooms first seen in a RoomCreated notification.

        A burst of RoomCreated becomes one room listing rather than one request per room.
        """
        await asyncio.sleep(0.05)  # let the rest of a burst arrive
        pending, self._rooms_to_fill = self._rooms_to_fill, set()
        try:
            if len(pending) == 1:
                rooms = [await self.fishjam.get_room(next(iter(pending)))]
            else:
                rooms = [room for room in await self.fishjam.list_rooms() if room.id in pending]
        except VoicePanelError as exc:
            if exc.status != 404:  # 404: deleted meanwhile, and the tree already knows
                log.warning("Could not read the new rooms: %s", exc)
            return
        for room in rooms:
            self.tree.fill_config(room.id, room.config)

    def _handle_status(self, status: NotifierStatus) -> None:
        self.notifier_status = status
        self._continuity.status(status)
        if status.state in (NotifierState.LIVE, NotifierState.FAILED):
            self._settled.set()
        else:
            self._settled.clear()
        self._statuses.emit(status)

    def _count_tree_write(self, _change: object) -> None:
        self._tree_writes += 1

    async def resync(self) -> list[TreeDifference]:
        """Re-reads every room from REST; returns what differed from the tree. Raises
        VoicePanelError when the read fails.

        A read that the tree changed during (the panel created a room, a notification
        arrived) may predate that change, and replacing the tree with it would drop the room
        and journal it as vanished: such a read is taken again."""
        for _ in range(RESYNC_READS):
            before = self._tree_writes
            rooms = await self.fishjam.list_rooms()
            if self._tree_writes == before:
                break
        return self.tree.replace_all(rooms)

    async def _resync_after_connect(self) -> None:
        """The notifier is subscribed: re-read, and journal what changed unseen."""
        try:
            differences = await self.resync()
        except VoicePanelError as exc:
            log.warning("Could not re-read the rooms: %s", exc)
            self._continuity.resynced(None, exc.message)
            return
        self._continuity.resynced(differences)

    def reconnect_notifier(self) -> None:
        """Skips the notifier's back-off wait and tries again now."""
        if self._notifier is not None:
            self._notifier.reconnect_now()

    # -- room and peer actions -----------------------------------------------------------

    async def create_room(self, spec: RoomSpec | None = None) -> RoomInfo:
        room = await self.fishjam.create_room(spec or RoomSpec())
        self.tree.upsert_room(room)
        return room

    async def delete_room(self, room_id: str) -> None:
        await self.fishjam.delete_room(room_id)
        for peer_id in [p for p, a in self._agents.items() if a.room_id == room_id]:
            del self._agents[peer_id]
            self._settle(peer_id, Settled.ENDED)
        self.tree.remove_room(room_id)

    async def get_room(self, room_id: str) -> RoomInfo:
        room = await self.fishjam.get_room(room_id)
        self.tree.upsert_room(room)
        return room

    async def create_peer(
        self, room_id: str, metadata: dict[str, Any] | None = None, subscribe_mode: str = "auto"
    ) -> tuple[PeerInfo, str]:
        """A WebRTC peer; returns it and its token (to hand to a client)."""
        peer, token = await self.fishjam.create_peer(room_id, metadata, subscribe_mode)
        self.tree.upsert_peer(room_id, peer)
        return peer, token

    async def delete_peer(self, room_id: str, peer_id: str) -> None:
        await self.fishjam.delete_peer(room_id, peer_id)
        if self._agents.pop(peer_id, None) is not None:
            self._settle(peer_id, Settled.ENDED)
        self.tree.remove_peer(room_id, peer_id)

    async def refresh_peer_token(self, room_id: str, peer_id: str) -> str:
        return await self.fishjam.refresh_peer_token(room_id, peer_id)

    async def subscribe_peer(self, room_id: str, peer_id: str, target_peer_id: str) -> None:
        await self.fishjam.subscribe_peer(room_id, peer_id, target_peer_id)

    async def subscribe_tracks(self, room_id: str, peer_id: str, track_ids: list[str]) -> None:
        await self.fishjam.subscribe_tracks(room_id, peer_id, track_ids)

    async def create_agent(
        self, room_id: str, sample_rate: int = 16000, subscribe_mode: str = "auto"
    ) -> Agent:
        """An agent peer (not yet connected); deleted when the workspace closes."""
        key = self._ledger_starting(StartedKind.AGENT, room_id)
        try:
            agent = await self.fishjam.create_agent(room_id, sample_rate, subscribe_mode)
        except BaseException:
            self._settle_key(key, Settled.ABANDONED)
            raise
        self._ledger_started(key, agent.id)
        self._agents[agent.id] = agent
        return agent

    # -- VAPI actions --------------------------------------------------------------------

    async def list_assistants(self) -> list[AssistantInfo]:
        return await self.vapi.list_assistants()

    async def add_vapi_assistant(
        self,
        room_id: str,
        assistant_id: str | None = None,
        assistant: dict[str, Any] | None = None,
        *,
        auto_close: bool = True,
        subscribe_mode: str = "auto",
    ) -> CallRecord:
        """Starts a VAPI call (websocket transport) and puts it into the room as a VAPI
        peer. If the peer cannot be added, the call is ended again so nothing bills."""
        if (assistant_id is None) == (assistant is None):
            raise VoicePanelError(
                "Could not add the assistant: choose exactly one assistant.",
                "Pick a saved assistant or describe one, not both.",
            )
        vapi = self.vapi
        events = self.live.subscription if self.live is not None else None
        key = self._ledger_starting(StartedKind.CALL, room_id)
        try:
            call: CallInfo = await vapi.create_call(
                assistant_id=assistant_id, assistant=assistant, events=events
            )
        except BaseException:
            self._settle_key(key, Settled.ABANDONED)
            raise
        self._ledger_started(key, call.id)
        try:
            peer = await self.fishjam.create_vapi_peer(
                room_id,
                self._vapi_key,
                call.id,
                auto_close=auto_close,
                subscribe_mode=subscribe_mode,
            )
        except BaseException as exc:
            note = await self._abandon_call(call)
            self._settle_key(key, Settled.ABANDONED)
            if isinstance(exc, VoicePanelError):
                raise VoicePanelError(
                    exc.message,
                    f"{exc.hint} {note}".strip(),
                    status=exc.status,
                    cause=exc.__cause__ or exc,
                ) from exc
            raise
        self._ledger_started(key, call.id, peer.id)
        self.tree.upsert_peer(room_id, peer)
        missing = self.live.missing_reason if self.live is not None else None
        return self.calls.add(call, room_id, peer.id, events_missing=missing)

    # -- the ledger of what it started ---------------------------------------------------

    def _ledger_starting(self, kind: StartedKind, room_id: str) -> str | None:
        try:
            return self.ledger.starting(kind, room_id)
        except OSError as exc:
            # Starting anyway: refusing would cost the person their call, and the close
            # still ends it; only recovery after a crash cannot find it.
            log.error("Could not write the ledger of started calls and agents: %s", exc)
            return None

    def _ledger_started(self, key: str | None, object_id: str, peer_id: str | None = None) -> None:
        if key is not None:
            try:
                self.ledger.started(key, object_id, peer_id)
            except OSError as exc:
                log.error("Could not write the ledger of started calls and agents: %s", exc)

    def _settle_key(self, key: str | None, how: Settled) -> None:
        if key is not None:
            try:
                self.ledger.settle(key, how)
            except OSError as exc:
                log.error("Could not write the ledger of started calls and agents: %s", exc)

    def _settle(self, object_id: str, how: Settled) -> None:
        self._settle_key(self.ledger.find(object_id), how)

    def _call_changed(self, record: CallRecord) -> None:
        if record.ended:
            self._settle(record.id, Settled.ENDED)

    async def _abandon_call(self, call: CallInfo) -> str:
        """Ends a call whose peer could not be added; says what became of it."""
        vapi = self.vapi
        try:
            call = await vapi.get_call(call.id)
            if call.status in NOT_STARTED:
                # Nothing will ever connect it: it never starts, so it never bills, and VAPI
                # drops it on its own. VAPI refuses to end a call that has not started.
                return "The call it started never connected, so it does not bill."
            if not call.ended:
                await vapi.end_call(call)
        except VoicePanelError as end_exc:
            log.warning("Could not end call %s after the peer failed: %s", call.id, end_exc)
            return f"The call it started ({call.id}) could not be ended: check it in VAPI."
        return "The call it started was ended so it does not keep billing."

    async def say(self, call_id: str, text: str, end_after: bool = False) -> None:
        await self.calls.say(call_id, text, end_after)

    async def end_call(self, call_id: str) -> CallRecord:
        return await self.calls.end(call_id)
