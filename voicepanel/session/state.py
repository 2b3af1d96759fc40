"""RoomTree: the live picture of rooms -> peers -> tracks, kept from REST reads and
server notifications, reporting each change to plain callbacks (Qt-free).

Notifications may arrive late, twice, or about things already gone (a resync can overtake
them): applying them never raises, and the next REST read (``replace_all``) is the truth.
``replace_all`` also says what the read changed (rooms, peers and tracks that appeared or
vanished, peers whose state changed), so a gap in the notifications can be journaled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from voicepanel.core.fishjam_gateway import PeerInfo, RoomConfigInfo, RoomInfo, TrackInfo
from voicepanel.core.notifications import Notification, ResyncKind
from voicepanel.session.observable import Callbacks

log = logging.getLogger(__name__)


class PeerState(Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    CRASHED = "crashed"


class ChangeKind(StrEnum):
    """What a TreeChange is about; compares equal to the plain strings of the contract."""

    RESET = "reset"
    ROOM = "room"
    PEER = "peer"
    TRACK = "track"


@dataclass
class TrackView:
    id: str
    type: str  # "audio" | "video" | "unknown"
    metadata: Any = None


@dataclass
class PeerView:
    id: str
    room_id: str
    type: str  # "webrtc" | "agent" | "vapi" | "unknown"
    state: PeerState = PeerState.DISCONNECTED
    subscribe_mode: str = "auto"
    metadata: Any = None
    tracks: dict[str, TrackView] = field(default_factory=dict)
    crash_reason: str | None = None


UNKNOWN_CONFIG = RoomConfigInfo(
    max_peers=None,
    video_codec=None,
    room_type="",
    webhook_url=None,
    public=False,
    batch_webhook_notifications=False,
)
"""The config of a room known only from a RoomCreated notification, until a REST read."""


@dataclass
class RoomView:
    id: str
    config: RoomConfigInfo
    peers: dict[str, PeerView] = field(default_factory=dict)
    crashed: bool = False
    # False while the room is known only from RoomCreated; config is then UNKNOWN_CONFIG.
    config_known: bool = True

    @property
    def connected_count(self) -> int:
        return sum(1 for p in self.peers.values() if p.state is PeerState.CONNECTED)


@dataclass(frozen=True)
class TreeChange:
    kind: str  # ChangeKind: "reset" | "room" | "peer" | "track"
    room_id: str | None = None
    peer_id: str | None = None
    track_id: str | None = None
    removed: bool = False


@dataclass(frozen=True)
class TreeDifference:
    """One thing a REST read found changed against the tree's picture."""

    kind: ResyncKind
    room_id: str
    peer_id: str | None = None
    track_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _differences(old: dict[str, RoomView], new: dict[str, RoomView]) -> list[TreeDifference]:
    found: list[TreeDifference] = []
    for room_id in old.keys() - new.keys():
        peers = len(old[room_id].peers)
        found.append(TreeDifference(ResyncKind.ROOM_VANISHED, room_id, details={"peers": peers}))
    for room_id, room in new.items():
        before = old.get(room_id)
        if before is None:
            found.append(
                TreeDifference(
                    ResyncKind.ROOM_APPEARED,
                    room_id,
                    details={"room_type": room.config.room_type, "peers": len(room.peers)},
                )
            )
        old_peers = before.peers if before is not None else {}
        for peer_id in old_peers.keys() - room.peers.keys():
            found.append(TreeDifference(ResyncKind.PEER_VANISHED, room_id, peer_id))
        for peer_id, peer in room.peers.items():
            found += _peer_differences(old_peers.get(peer_id), peer)
    return found


def _peer_differences(old: PeerView | None, new: PeerView) -> list[TreeDifference]:
    found: list[TreeDifference] = []
    if old is None:
        details = {"peer_type": new.type, "state": new.state.value}
        found.append(TreeDifference(ResyncKind.PEER_APPEARED, new.room_id, new.id, None, details))
    elif old.state is not new.state:
        details = {"from_state": old.state.value, "to_state": new.state.value}
        found.append(
            TreeDifference(ResyncKind.PEER_STATE_CHANGED, new.room_id, new.id, None, details)
        )
    old_tracks = old.tracks if old is not None else {}
    for track_id in old_tracks.keys() - new.tracks.keys():
        found.append(TreeDifference(ResyncKind.TRACK_VANISHED, new.room_id, new.id, track_id))
    for track_id in new.tracks.keys() - old_tracks.keys():
        details = {"track_type": new.tracks[track_id].type}
        found.append(
            TreeDifference(ResyncKind.TRACK_APPEARED, new.room_id, new.id, track_id, details)
        )
    return found


def _enum_text(value: Any, prefix: str) -> str:
    """'PEER_TYPE_VAPI' -> 'vapi'; plain names pass through lower-cased."""
    if value is None:
        return "unknown"
    text = getattr(value, "name", None) or str(value)
    if text.upper().startswith(prefix):
        text = text[len(prefix) :]
    text = text.lower()
    return "unknown" if text in ("", "unspecified") else text


def _metadata(value: Any) -> Any:
    """Notifications carry metadata as JSON text; REST gives it parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value else None
        except ValueError:
            return value
    return value


def _track_view(info: TrackInfo) -> TrackView:
    return TrackView(id=info.id, type=_enum_text(info.type, "TRACK_TYPE_"), metadata=info.metadata)


def _peer_view(room_id: str, info: PeerInfo) -> PeerView:
    state = PeerState.CONNECTED if info.status == "connected" else PeerState.DISCONNECTED
    return PeerView(
        id=info.id,
        room_id=room_id,
        type=_enum_text(info.type, "PEER_TYPE_"),
        state=state,
        subscribe_mode=info.subscribe_mode,
        metadata=info.metadata,
        tracks={t.id: _track_view(t) for t in info.tracks},
    )


class RoomTree:
    """Rooms by id, each with its peers and their tracks."""

    def __init__(self) -> None:
        self.rooms: dict[str, RoomView] = {}
        self._changed: Callbacks[TreeChange] = Callbacks("room tree")

    # -- listening -----------------------------------------------------------------------

    def subscribe(self, callback: Callable[[TreeChange], None]) -> Callable[[], None]:
        """Calls ``callback`` after every change; returns the function that unsubscribes."""
        return self._changed.subscribe(callback)

    def _emit(self, change: TreeChange) -> None:
        self._changed.emit(change)

    # -- reading -------------------------------------------------------------------------

    def room(self, room_id: str) -> RoomView | None:
        return self.rooms.get(room_id)

    def peer(self, room_id: str, peer_id: str) -> PeerView | None:
        room = self.rooms.get(room_id)
        return room.peers.get(peer_id) if room else None

    def find_peer(self, peer_id: str) -> PeerView | None:
        """The peer with this id in any room (peer ids are unique server-wide)."""
        for room in self.rooms.values():
            if peer_id in room.peers:
                return room.peers[peer_id]
        return None

    def peer_count(self, room_id: str) -> int:
        room = self.rooms.get(room_id)
        return len(room.peers) if room else 0

    def connected_count(self, room_id: str) -> int:
        room = self.rooms.get(room_id)
        return room.connected_count if room else 0

    @property
    def total_peers(self) -> int:
        return sum(len(r.peers) for r in self.rooms.values())

    @property
    def total_connected(self) -> int:
        return sum(r.connected_count for r in self.rooms.values())

    # -- writing from REST ---------------------------------------------------------------

    def replace_all(self, rooms: list[RoomInfo]) -> list[TreeDifference]:
        """The server's full picture replaces ours; emits one ``reset`` and returns what
        differed (rooms first, in the server's order)."""
        old = self.rooms
        self.rooms = {}
        for info in rooms:
            view = self._room_view(info, old.get(info.id))
            self.rooms[info.id] = view
        self._emit(TreeChange(ChangeKind.RESET))
        return _differences(old, self.rooms)

    def upsert_room(self, room: RoomInfo) -> None:
        """Adds or refreshes one room from a REST read (fills in a RoomCreated's config)."""
        self.rooms[room.id] = self._room_view(room, self.rooms.get(room.id))
        self._emit(TreeChange(ChangeKind.ROOM, room_id=room.id))

    def fill_config(self, room_id: str, config: RoomConfigInfo) -> None:
        """Gives a room first seen in a RoomCreated its configuration. Only the config: the
        REST read may be older than the peers notifications have added since."""
        room = self.rooms.get(room_id)
        if room is None or room.config_known:
            return
        room.config = config
        room.config_known = True
        self._emit(TreeChange(ChangeKind.ROOM, room_id=room_id))

    def upsert_peer(self, room_id: str, peer: PeerInfo) -> None:
        """Adds or refreshes a peer the panel just created; ignored if the room is gone."""
        room = self.rooms.get(room_id)
        if room is None:
            return
        view = _peer_view(room_id, peer)
        old = room.peers.get(peer.id)
        if old is not None:
            self._keep_crash(view, old)
            # A notification may already have told more than the create call's answer.
            if old.state is PeerState.CONNECTED and view.state is PeerState.DISCONNECTED:
                view.state = PeerState.CONNECTED
            view.tracks = {**old.tracks, **view.tracks}
        room.peers[peer.id] = view
        self._emit(TreeChange(ChangeKind.PEER, room_id=room_id, peer_id=peer.id))

    def remove_room(self, room_id: str) -> None:
        if self.rooms.pop(room_id, None) is not None:
            self._emit(TreeChange(ChangeKind.ROOM, room_id=room_id, removed=True))

    def remove_peer(self, room_id: str, peer_id: str) -> None:
        room = self.rooms.get(room_id)
        if room is not None and room.peers.pop(peer_id, None) is not None:
            self._emit(TreeChange(ChangeKind.PEER, room_id=room_id, peer_id=peer_id, removed=True))

    @staticmethod
    def _keep_crash(new: PeerView, old: PeerView) -> None:
        # REST shows a crashed peer as disconnected: keep what the crash notification said.
        if old.state is PeerState.CRASHED and new.state is PeerState.DISCONNECTED:
            new.state = PeerState.CRASHED
            new.crash_reason = old.crash_reason

    def _room_view(self, info: RoomInfo, old: RoomView | None) -> RoomView:
        view = RoomView(id=info.id, config=info.config)
        for peer in info.peers:
            peer_view = _peer_view(info.id, peer)
            if old is not None and peer.id in old.peers:
                self._keep_crash(peer_view, old.peers[peer.id])
            view.peers[peer.id] = peer_view
        if old is not None:
            view.crashed = old.crashed
        return view

    # -- writing from notifications ------------------------------------------------------

    def apply(self, n: Notification) -> None:
        """Applies one server notification; unknown kinds and stale ones are ignored."""
        handler = self._HANDLERS.get(n.kind)
        if handler is None:
            return
        try:
            handler(self, n)
        except Exception:
            # A malformed notification must not stop the stream; the next resync repairs.
            log.exception("Could not apply %s to the room tree", n.kind)

    def _room_created(self, n: Notification) -> None:
        if not n.room_id or n.room_id in self.rooms:
            return
        self.rooms[n.room_id] = RoomView(id=n.room_id, config=UNKNOWN_CONFIG, config_known=False)
        self._emit(TreeChange(ChangeKind.ROOM, room_id=n.room_id))

    def _room_deleted(self, n: Notification) -> None:
        if n.room_id:
            self.remove_room(n.room_id)

    def _room_crashed(self, n: Notification) -> None:
        room = self.rooms.get(n.room_id or "")
        if room is not None:
            room.crashed = True
            self._emit(TreeChange(ChangeKind.ROOM, room_id=room.id))

    def _ensure_peer(self, n: Notification) -> PeerView | None:
        """The notification's peer, added if its room is known and it is not."""
        room = self.rooms.get(n.room_id or "")
        if room is None or not n.peer_id:
            return None
        peer = room.peers.get(n.peer_id)
        if peer is None:
            peer = PeerView(
                id=n.peer_id,
                room_id=room.id,
                type=_enum_text(n.details.get("peer_type"), "PEER_TYPE_"),
            )
            room.peers[n.peer_id] = peer
        return peer

    def _peer_changed(self, peer: PeerView) -> None:
        self._emit(TreeChange(ChangeKind.PEER, room_id=peer.room_id, peer_id=peer.id))

    def _peer_added(self, n: Notification) -> None:
        peer = self._ensure_peer(n)
        if peer is not None:
            self._peer_changed(peer)

    def _peer_deleted(self, n: Notification) -> None:
        if n.room_id and n.peer_id:
            self.remove_peer(n.room_id, n.peer_id)

    def _peer_connected(self, n: Notification) -> None:
        peer = self._ensure_peer(n)
        if peer is not None:
            peer.state = PeerState.CONNECTED
            peer.crash_reason = None
            self._peer_changed(peer)

    def _peer_disconnected(self, n: Notification) -> None:
        peer = self.peer(n.room_id or "", n.peer_id or "")
        if peer is not None and peer.state is not PeerState.CRASHED:
            peer.state = PeerState.DISCONNECTED
            self._peer_changed(peer)

    def _peer_crashed(self, n: Notification) -> None:
        peer = self._ensure_peer(n)
        if peer is not None:
            peer.state = PeerState.CRASHED
            reason = n.details.get("reason")
            peer.crash_reason = str(reason) if reason else "no reason given"
            self._peer_changed(peer)

    def _peer_metadata_updated(self, n: Notification) -> None:
        peer = self.peer(n.room_id or "", n.peer_id or "")
        if peer is not None:
            peer.metadata = _metadata(n.details.get("metadata"))
            self._peer_changed(peer)

    def _track_of(self, n: Notification) -> tuple[PeerView, str, dict[str, Any]] | None:
        peer = self.peer(n.room_id or "", n.peer_id or "")
        track = n.details.get("track")
        track = track if isinstance(track, dict) else {}
        track_id = n.track_id or track.get("id")
        if peer is None or not track_id:
            return None
        return peer, str(track_id), track

    def _track_added(self, n: Notification) -> None:
        found = self._track_of(n)
        if found is None:
            return
        peer, track_id, track = found
        peer.tracks[track_id] = TrackView(
            id=track_id,
            type=_enum_text(track.get("type"), "TRACK_TYPE_"),
            metadata=_metadata(track.get("metadata")),
        )
        self._emit(TreeChange(ChangeKind.TRACK, peer.room_id, peer.id, track_id))

    def _track_removed(self, n: Notification) -> None:
        found = self._track_of(n)
        if found is None:
            return
        peer, track_id, _ = found
        if peer.tracks.pop(track_id, None) is not None:
            self._emit(TreeChange(ChangeKind.TRACK, peer.room_id, peer.id, track_id, removed=True))

    def _track_metadata_updated(self, n: Notification) -> None:
        found = self._track_of(n)
        if found is None:
            return
        peer, track_id, track = found
        view = peer.tracks.get(track_id)
        if view is None:
            self._track_added(n)
            return
        view.metadata = _metadata(track.get("metadata"))
        self._emit(TreeChange(ChangeKind.TRACK, peer.room_id, peer.id, track_id))

    _HANDLERS: dict[str, Callable[[RoomTree, Notification], None]] = {
        "RoomCreated": _room_created,
        "RoomDeleted": _room_deleted,
        "RoomCrashed": _room_crashed,
        "PeerAdded": _peer_added,
        "PeerDeleted": _peer_deleted,
        "PeerConnected": _peer_connected,
        "PeerDisconnected": _peer_disconnected,
        "PeerCrashed": _peer_crashed,
        "PeerMetadataUpdated": _peer_metadata_updated,
        "TrackAdded": _track_added,
        "TrackRemoved": _track_removed,
        "TrackMetadataUpdated": _track_metadata_updated,
    }
