"""The sandbox's Fishjam world: rooms, peers, tracks, tokens, subscriptions.

Every change goes through `FishjamState`, which publishes the matching server notification
in the order the real cloud sends them. Sockets attach to peers through the small
`PeerConnection` protocol, so this module knows nothing about WebSockets.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from voicepanel.sandbox.fishjam import notifications as n
from voicepanel.sandbox.fishjam.errors import Conflict, NotFound
from voicepanel.sandbox.fishjam.notifications import NotificationBus
from voicepanel.sandbox.fishjam.playout import RoomPlayout
from voicepanel.wire.agent_frames import track_data_prefix


class PeerType(StrEnum):
    WEBRTC = "webrtc"
    AGENT = "agent"
    VAPI = "vapi"


class PeerStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class SubscribeMode(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class PeerConnection(Protocol):
    """What the state needs from whatever carries a connected peer (a socket, a VAPI call)."""

    def deliver(self, track: Track, frame: bytes) -> None:
        """Take one 20 ms mono PCM16 frame of `track` at the track's own sample rate."""

    def close(self, reason: str) -> None:
        """Drop the connection soon (the peer or its room was deleted); must not block."""

    def room_emptied(self) -> None:
        """The last connected non-VAPI peer left the room."""


@dataclass
class Track:
    id: str
    peer_id: str
    type: str
    metadata_json: str
    sample_rate: int
    channels: int

    @property
    def metadata(self) -> Any:
        try:
            return json.loads(self.metadata_json)
        except ValueError:
            return self.metadata_json

    @cached_property
    def proto(self) -> n.ProtoTrack:
        return n.proto_track(self.id, self.type, self.metadata_json)

    @cached_property
    def wire_prefix(self) -> bytes:
        """This track's `AgentResponseTrackData` fields other than the audio, encoded."""
        return track_data_prefix(self.peer_id, self.proto)


@dataclass
class VapiOptions:
    api_key: str
    call_id: str
    auto_close: bool


@dataclass
class Peer:
    id: str
    room_id: str
    type: PeerType
    subscribe_mode: SubscribeMode
    metadata: dict[str, Any]
    output_rate: int = 16000
    vapi: VapiOptions | None = None
    status: PeerStatus = PeerStatus.DISCONNECTED
    tracks: dict[str, Track] = field(default_factory=dict)
    subscribed_peers: list[str] = field(default_factory=list)
    subscribed_tracks: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    connection: PeerConnection | None = None
    deleted: bool = False

    @property
    def full_metadata(self) -> dict[str, Any]:
        # What the server was given when the peer was created is the peer's *server*
        # metadata, as the cloud reports it; the peer's own part is set by its client.
        return {"peer": {}, "server": self.metadata}

    def hears(self, track: Track) -> bool:
        if track.peer_id == self.id or self.connection is None:
            return False
        return (
            self.subscribe_mode is SubscribeMode.AUTO
            or track.peer_id in self.subscribed_peers
            or track.id in self.subscribed_tracks
        )


@dataclass
class RoomConfig:
    max_peers: int = 0
    video_codec: str = "h264"
    webhook_url: str | None = None
    room_type: str = "conference"
    public: bool = False
    batch_webhook_notifications: bool = False


@dataclass
class Room:
    id: str
    config: RoomConfig
    playout: RoomPlayout
    peers: dict[str, Peer] = field(default_factory=dict)
    closing: bool = False
    # The composition the room's tracks are forwarded to (no media reaches it here).
    composition_url: str | None = None

    def track(self, track_id: str) -> Track | None:
        for peer in self.peers.values():
            if track_id in peer.tracks:
                return peer.tracks[track_id]
        return None

    def route(self, track_id: str, frame: bytes) -> None:
        """Hand one played-out frame of `track_id` to every peer that hears it."""
        track = self.track(track_id)
        if track is None:
            return
        for peer in list(self.peers.values()):
            if peer.hears(track) and peer.connection is not None:
                peer.connection.deliver(track, frame)


class FishjamState:
    """All rooms of one sandbox, and the only place that changes them."""

    def __init__(self, management_token: str, bus: NotificationBus) -> None:
        self.management_token = management_token
        self.bus = bus
        self.rooms: dict[str, Room] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        # How long a VAPI peer may hear and say nothing before it leaves; tests shorten it.
        self.vapi_silence_timeout_s = 60.0

    # -- rooms -------------------------------------------------------------------------

    def create_room(self, config: RoomConfig) -> Room:
        room_id = uuid.uuid4().hex
        room = Room(room_id, config, RoomPlayout(lambda t, f: self._route(room_id, t, f), room_id))
        self.rooms[room_id] = room
        self.bus.publish(room_id, n.room_created(room_id))
        return room

    def room(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFound(f"Room {room_id} does not exist")
        return room

    async def delete_room(self, room_id: str) -> None:
        room = self.room(room_id)
        room.closing = True
        for peer in list(room.peers.values()):
            self._remove_peer(room, peer, "room deleted")
        del self.rooms[room_id]
        self.bus.publish(room_id, n.room_deleted(room_id))
        await room.playout.close()

    async def shutdown(self) -> None:
        """Stop every clock and drop every connection, without notifications."""
        for room in self.rooms.values():
            room.closing = True
            await room.playout.close()
            for peer in room.peers.values():
                if peer.connection is not None:
                    peer.connection.close("sandbox stopped")

    # -- peers -------------------------------------------------------------------------

    def peer(self, room_id: str, peer_id: str) -> Peer:
        peer = self.room(room_id).peers.get(peer_id)
        if peer is None:
            raise NotFound(f"Peer {peer_id} does not exist in room {room_id}")
        return peer

    def add_peer(
        self,
        room_id: str,
        peer_type: PeerType,
        subscribe_mode: SubscribeMode,
        metadata: dict[str, Any],
        output_rate: int = 16000,
        vapi: VapiOptions | None = None,
    ) -> tuple[Peer, str]:
        room = self.room(room_id)
        limit = room.config.max_peers
        if limit and len(room.peers) >= limit:
            raise Conflict(f"Reached peer limit ({limit}) in room {room_id}")
        peer = Peer(
            uuid.uuid4().hex, room_id, peer_type, subscribe_mode, metadata, output_rate, vapi
        )
        room.peers[peer.id] = peer
        self.bus.publish(room_id, n.peer_added(room_id, peer.id, peer.type))
        return peer, self.issue_token(peer)

    def delete_peer(self, room_id: str, peer_id: str, reason: str = "peer deleted") -> None:
        room = self.room(room_id)
        peer = self.peer(room_id, peer_id)
        self._remove_peer(room, peer, reason)

    def issue_token(self, peer: Peer) -> str:
        # Earlier tokens stay valid until the peer is deleted, like signed cloud tokens.
        token = secrets.token_urlsafe(24)
        self._tokens[token] = (peer.room_id, peer.id)
        peer.tokens.add(token)
        return token

    def peer_for_token(self, token: str) -> Peer | None:
        ids = self._tokens.get(token)
        if ids is None:
            return None
        room = self.rooms.get(ids[0])
        return room.peers.get(ids[1]) if room is not None else None

    def subscribe_peer(self, room_id: str, peer_id: str, target_peer_id: str) -> None:
        peer = self.peer(room_id, peer_id)
        self.peer(room_id, target_peer_id)
        if target_peer_id not in peer.subscribed_peers:
            peer.subscribed_peers.append(target_peer_id)

    def subscribe_tracks(self, room_id: str, peer_id: str, track_ids: list[str]) -> None:
        room = self.room(room_id)
        peer = self.peer(room_id, peer_id)
        for track_id in track_ids:
            if room.track(track_id) is None:
                raise NotFound(f"Track {track_id} does not exist in room {room_id}")
        for track_id in track_ids:
            if track_id not in peer.subscribed_tracks:
                peer.subscribed_tracks.append(track_id)

    def forward_tracks(self, room_id: str, composition_url: str) -> None:
        room = self.room(room_id)
        if room.composition_url is not None:
            raise Conflict(f"Room {room_id} already forwards its tracks to a composition")
        room.composition_url = composition_url

    # -- connections -------------------------------------------------------------------

    def connect(self, peer: Peer, connection: PeerConnection) -> None:
        peer.connection = connection
        peer.status = PeerStatus.CONNECTED
        self.bus.publish(peer.room_id, n.peer_connected(peer.room_id, peer.id, peer.type))

    def announce_metadata(self, peer: Peer) -> None:
        self.bus.publish(
            peer.room_id,
            n.peer_metadata_updated(peer.room_id, peer.id, peer.type, peer.full_metadata),
        )

    def disconnect(self, peer: Peer, connection: PeerConnection) -> None:
        """The connection ended; the peer stays in the room, disconnected, and may return."""
        if peer.deleted or peer.connection is not connection:
            return
        room = self.rooms[peer.room_id]
        self._drop_connection(room, peer)
        self._check_room_emptied(room, peer)

    def crash(self, peer: Peer, reason: str) -> None:
        if peer.deleted:
            return
        self.bus.publish(peer.room_id, n.peer_crashed(peer.room_id, peer.id, peer.type, reason))

    # -- tracks ------------------------------------------------------------------------

    def add_track(self, peer: Peer, track: Track) -> None:
        room = self.rooms[peer.room_id]
        peer.tracks[track.id] = track
        room.playout.add_track(track.id, track.sample_rate, track.channels)
        self.bus.publish(room.id, n.track_added(room.id, peer.id, track.proto))

    def remove_track(self, peer: Peer, track_id: str) -> None:
        room = self.rooms[peer.room_id]
        track = peer.tracks.pop(track_id, None)
        if track is None:
            return
        room.playout.remove_track(track_id)
        self.bus.publish(room.id, n.track_removed(room.id, peer.id, track.proto))

    # -- internals ---------------------------------------------------------------------

    def _route(self, room_id: str, track_id: str, frame: bytes) -> None:
        room = self.rooms.get(room_id)
        if room is not None:
            room.route(track_id, frame)

    def _drop_connection(self, room: Room, peer: Peer) -> None:
        for track_id in list(peer.tracks):
            self.remove_track(peer, track_id)
        was_connected = peer.status is PeerStatus.CONNECTED
        peer.connection = None
        peer.status = PeerStatus.DISCONNECTED
        if was_connected:
            self.bus.publish(room.id, n.peer_disconnected(room.id, peer.id, peer.type))

    def _remove_peer(self, room: Room, peer: Peer, reason: str) -> None:
        connection = peer.connection
        self._drop_connection(room, peer)
        peer.deleted = True
        del room.peers[peer.id]
        for token in peer.tokens:
            self._tokens.pop(token, None)
        for other in room.peers.values():
            if peer.id in other.subscribed_peers:
                other.subscribed_peers.remove(peer.id)
        self.bus.publish(room.id, n.peer_deleted(room.id, peer.id, peer.type))
        if connection is not None:
            connection.close(reason)
        self._check_room_emptied(room, peer)

    def _check_room_emptied(self, room: Room, leaving: Peer) -> None:
        if leaving.type is PeerType.VAPI or room.closing:
            return
        if any(
            p.type is not PeerType.VAPI and p.status is PeerStatus.CONNECTED
            for p in room.peers.values()
        ):
            return
        for peer in list(room.peers.values()):
            if peer.type is PeerType.VAPI and peer.connection is not None:
                peer.connection.room_emptied()
