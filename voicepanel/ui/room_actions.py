"""What the room, peer and call actions do: open the dialog, run the workspace action,
report the outcome. Widgets stay free of this flow; the workspace holds the protocol."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QWidget

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.wording import plural
from voicepanel.session.names import peer_metadata, titled
from voicepanel.ui.async_qt import confirm, run_dialog
from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.dialogs.add_peer import AddPeerDialog, PeerRequest
from voicepanel.ui.dialogs.add_vapi import AddVapiDialog, VapiRequest
from voicepanel.ui.dialogs.create_room import CreateRoomDialog
from voicepanel.ui.dialogs.peer_token import PeerTokenDialog, confirm_new_token
from voicepanel.ui.dialogs.subscribe import SubscribeDialog, SubscribeRequest
from voicepanel.ui.feedback import Feedback
from voicepanel.ui.placement import fit_on_screen
from voicepanel.ui.room_tree_model import Key, metadata_name

if TYPE_CHECKING:
    from voicepanel.session.workspace import Workspace

log = logging.getLogger(__name__)

AGENT_UNAVAILABLE = "The local agent is not available in this build."
LOCAL_AGENT = "Local agent"  # the name the panel's own agent peer is shown by
NO_VAPI = VoicePanelError(
    "This profile has no VAPI key, so assistants cannot be added.",
    "Open Profiles… in the toolbar and add the VAPI private API key.",
)


class RoomActions:
    """Runs one user action at a time per dialog; every failure goes to ``feedback``."""

    def __init__(
        self,
        window: QWidget,
        workspace: Callable[[], Workspace | None],
        selection: Callable[[], Key | None],
        select: Callable[[Key], None],
        feedback: Feedback,
        busy: BusyIndicator,
    ) -> None:
        self._window = window
        self._workspace = workspace
        self._selection = selection
        self._select = select
        self._feedback = feedback
        self._busy = busy

    # -- helpers --------------------------------------------------------------------------

    def _ws(self) -> Workspace | None:
        workspace = self._workspace()
        if workspace is None:
            self._feedback.tell("Not connected.", "Choose a profile in the toolbar first.")
        return workspace

    def _room_id(self) -> str | None:
        key = self._selection()
        if key is None:
            self._feedback.tell("Select a room first.", "Click a room in the tree on the left.")
            return None
        return key[0]

    async def _dialog(self, dialog: QDialog) -> int:
        try:
            return await run_dialog(dialog)
        finally:
            dialog.deleteLater()

    # -- rooms ----------------------------------------------------------------------------

    async def new_room(self) -> None:
        ws = self._ws()
        if ws is None:
            return
        dialog = CreateRoomDialog(ws.create_room, self._window)
        if await self._dialog(dialog) and dialog.result_value is not None:
            room_id = dialog.result_value.id
            self._name(ws.names.name_room, room_id, dialog.room_name)
            self._select((room_id, None, None))

    async def delete_selected(self) -> None:
        ws, key = self._ws(), self._selection()
        if ws is None or key is None:
            return
        room_id, peer_id, _ = key
        room_title = titled(ws.names.room(room_id), room_id)
        if peer_id is None:
            room = ws.tree.rooms.get(room_id)
            peers = len(room.peers) if room else 0
            text = f"Delete room {room_title}?"
            if peers:
                text += f"\n\nIts {plural(peers, 'peer')} will be removed too."
            if await confirm(self._window, "Delete room", text, action="Delete room"):
                await self._run(ws.delete_room(room_id), "Deleting the room…")
            return
        if await confirm(
            self._window,
            "Delete peer",
            f"Remove peer {self._peer_title(ws, room_id, peer_id)} from room {room_title}?\n\n"
            "A client using its token is disconnected.",
            action="Delete peer",
        ):
            await self._run(ws.delete_peer(room_id, peer_id), "Deleting the peer…")

    async def refresh(self, *, quiet: bool = False) -> bool:
        """Re-reads every room now; True when anything changed. ``quiet`` (the periodic
        refresh) only logs a failure: the notifier indicator already shows a lost server."""
        ws = self._workspace()
        if ws is None:
            return False
        before = tree_signature(ws.tree)
        try:
            with self._busy.busy(tooltip="Refreshing rooms…") if not quiet else nullcontext():
                rooms = await ws.fishjam.list_rooms()
        except Exception as error:  # noqa: BLE001 - shown or logged, never raised
            if quiet:
                log.info("Periodic refresh failed: %s", error)
            else:
                self._feedback.fail(error)
            return False
        if ws is not self._workspace():  # the profile changed meanwhile
            return False
        ws.tree.replace_all(rooms)
        return tree_signature(ws.tree) != before

    # -- peers ----------------------------------------------------------------------------

    async def add_peer(self) -> None:
        ws, room_id = self._ws(), self._room_id()
        if ws is None or room_id is None:
            return

        async def create(request: PeerRequest) -> Any:
            metadata = peer_metadata(request.name, request.metadata)
            created = await ws.create_peer(room_id, metadata, request.subscribe_mode)
            self._name(ws.names.name_peer, created[0].id, request.name)
            return created

        dialog = AddPeerDialog(create, self._window)
        if not await self._dialog(dialog) or dialog.result_value is None:
            return
        peer, token = dialog.result_value
        self._select((room_id, peer.id, None))
        await self.show_token(ws, room_id, peer.id, token)

    async def new_token(self) -> None:
        """Issues a fresh token for the selected peer and shows it."""
        ws, key = self._ws(), self._selection()
        if ws is None or key is None or key[1] is None:
            self._feedback.tell("Select a peer first.", "Tokens belong to WebRTC peers.")
            return
        if not await confirm_new_token(self._window, self._peer_title(ws, key[0], key[1])):
            return
        token = await self._run(ws.refresh_peer_token(key[0], key[1]), "Issuing a token…")
        if token is not None:
            await self.show_token(ws, key[0], key[1], token)

    async def show_token(self, ws: Workspace, room_id: str, peer_id: str, token: str) -> None:
        async def refresh() -> str:
            return await ws.refresh_peer_token(room_id, peer_id)

        peer = ws.tree.peer(room_id, peer_id)
        dialog = PeerTokenDialog(
            room_id,
            peer_id,
            token,
            refresh,
            self._window,
            room_name=ws.names.room(room_id),
            peer_name=ws.names.peer(peer_id) or (metadata_name(peer) if peer else None),
            fishjam_id=ws.profile.fishjam_id or ws.fishjam_url,
        )
        await self._dialog(dialog)

    async def subscribe(self) -> None:
        ws, key = self._ws(), self._selection()
        room_id, peer_id = (key[0], key[1]) if key else ("", None)
        if ws is None or peer_id is None:
            self._feedback.tell("Select a peer first.", "Subscriptions belong to peers.")
            return
        room = ws.tree.rooms.get(room_id)
        others = [p for p in (room.peers.values() if room else ()) if p.id != peer_id]

        async def submit(request: SubscribeRequest) -> None:
            if request.target_peer_id:
                await ws.subscribe_peer(room_id, peer_id, request.target_peer_id)
            else:
                await ws.subscribe_tracks(room_id, peer_id, list(request.track_ids))

        dialog = SubscribeDialog(
            peer_id, others, submit, self._window, name_of=lambda i: self._peer_name(ws, room_id, i)
        )
        if await self._dialog(dialog):
            self._feedback.tell("Subscribed.", "The peer now receives what you chose.")

    # -- VAPI and agents ------------------------------------------------------------------

    async def add_vapi(self) -> Any:
        ws, room_id = self._ws(), self._room_id()
        if ws is None or room_id is None:
            return None
        if not ws.has_vapi:
            self._feedback.fail(NO_VAPI)
            return None

        async def start(request: VapiRequest) -> Any:
            return await ws.add_vapi_assistant(
                room_id,
                assistant_id=request.assistant_id,
                assistant=request.assistant,
                auto_close=request.auto_close,
                subscribe_mode=request.subscribe_mode,
            )

        room = titled(ws.names.room(room_id), room_id)
        dialog = AddVapiDialog(room, ws.list_assistants, start, self._window)
        dialog.load_assistants()
        if await self._dialog(dialog) and dialog.result_value is not None:
            record = dialog.result_value
            if record.peer_id:
                self._select((room_id, record.peer_id, None))
            return record
        return None

    def join_as_agent(self) -> None:
        ws, room_id = self._ws(), self._room_id()
        if ws is None or room_id is None:
            return
        try:
            module = importlib.import_module("voicepanel.ui.agent_panel")
            open_panel = module.open_agent_panel
            agents = importlib.import_module("voicepanel.session.local_agent")
        except (ImportError, AttributeError):
            log.info("agent_panel is not available")
            self._feedback.tell(AGENT_UNAVAILABLE)
            return
        try:
            # The window is handed its agent: one of this workspace, for this room.
            panel = open_panel(
                self._window,
                ws,
                room_id,
                lambda: agents.LocalAgent.in_workspace(ws, room_id),
                name_of=lambda peer_id: self._peer_name(ws, room_id, peer_id),
            )
            # Placed over the main window the first time, whole on the screen; after
            # that it stays where the person moved it.
            fit_on_screen(panel, center_on_parent=not panel.property("placed"))
            panel.setProperty("placed", True)
            panel.setWindowTitle(f"Agent in room {titled(ws.names.room(room_id), room_id)}")
        except Exception as error:  # noqa: BLE001 - another module's failure, shown in words
            self._feedback.fail(error)
            return
        agent = getattr(panel, "agent", None)
        if agent is not None:
            # The tree and the notifications call this panel's own agent by a name too.
            def name_agent(status: Any) -> None:
                if status.peer_id and ws.names.peer(status.peer_id) is None:
                    self._name(ws.names.name_peer, status.peer_id, LOCAL_AGENT)

            stop_naming = agent.on_status.subscribe(name_agent)
            panel.destroyed.connect(lambda *_: stop_naming())
        if ws.live is not None and agent is not None:
            # Each turn the agent measures at its speaker joins VAPI's view of that turn.
            stop_watching = ws.live.watch_agent(agent)
            panel.destroyed.connect(lambda *_: stop_watching())

    # -- names ---------------------------------------------------------------------------

    def _peer_name(self, ws: Workspace, room_id: str, peer_id: str) -> str | None:
        peer = ws.tree.peer(room_id, peer_id)
        given = ws.names.peer(peer_id) or (metadata_name(peer) if peer is not None else None)
        if given is None and ws.has_vapi:
            # A VAPI peer is known by its assistant's name, as in the tree.
            record = ws.calls.for_peer(peer_id)
            given = record.call.assistant_name if record is not None else None
        return given

    def _peer_title(self, ws: Workspace, room_id: str, peer_id: str) -> str:
        return titled(self._peer_name(ws, room_id, peer_id), peer_id)

    def _name(self, name: Callable[[str, str], None], some_id: str, text: str) -> None:
        if not text:
            return
        try:
            name(some_id, text)
        except VoicePanelError as error:  # the room or peer exists; only the name is at risk
            self._feedback.fail(error)

    # -- running ---------------------------------------------------------------------------

    async def _run(self, action: Any, what: str) -> Any:
        try:
            with self._busy.busy(tooltip=what):
                return await action
        except Exception as error:  # noqa: BLE001 - shown to the person, cause logged
            self._feedback.fail(error)
            return None


def tree_signature(tree: Any) -> tuple[Any, ...]:
    """What a refresh compares to tell whether anything changed."""
    return tuple(
        (
            room.id,
            room.crashed,
            tuple((p.id, p.state, p.subscribe_mode, tuple(p.tracks)) for p in room.peers.values()),
        )
        for room in tree.rooms.values()
    )
