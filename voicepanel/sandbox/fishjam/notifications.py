"""Server notifications: building the SDK's protobuf `ServerMessage`s and fanning them out.

The state publishes every change here synchronously, in the order it happens; subscribers
(notifier sockets, webhook delivery) only enqueue, so nobody can block the publisher.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import betterproto
from fishjam.events._protos.fishjam import (
    ServerMessage,
    ServerMessagePeerAdded,
    ServerMessagePeerConnected,
    ServerMessagePeerCrashed,
    ServerMessagePeerDeleted,
    ServerMessagePeerDisconnected,
    ServerMessagePeerMetadataUpdated,
    ServerMessagePeerType,
    ServerMessageRecordingStatusChanged,
    ServerMessageRecordingStatusChangedStatus,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
    ServerMessageTrackAdded,
    ServerMessageTrackRemoved,
)
from fishjam.events._protos.fishjam.notifications import Track as ProtoTrack
from fishjam.events._protos.fishjam.notifications import TrackType

log = logging.getLogger(__name__)

PEER_TYPES = {
    "webrtc": ServerMessagePeerType.PEER_TYPE_WEBRTC,
    "agent": ServerMessagePeerType.PEER_TYPE_AGENT,
    "vapi": ServerMessagePeerType.PEER_TYPE_VAPI,
}
TRACK_TYPES = {"audio": TrackType.TRACK_TYPE_AUDIO, "video": TrackType.TRACK_TYPE_VIDEO}
RECORDING_STATUSES = {
    "active": ServerMessageRecordingStatusChangedStatus.STATUS_ACTIVE,
    "finished": ServerMessageRecordingStatusChangedStatus.STATUS_FINISHED,
    "available": ServerMessageRecordingStatusChangedStatus.STATUS_AVAILABLE,
    "failed": ServerMessageRecordingStatusChangedStatus.STATUS_FAILED,
}
# Peer and track metadata travels in notifications to every notifier client and webhook.
# Bounded (as JSON text, in bytes) so that one peer cannot make frames that other clients
# refuse as too big, and so lose notifications; far above any name, avatar or app state.
MAX_METADATA_BYTES = 64 * 1024
# Notifications that belong to no room (recordings) are published under this room id.
NO_ROOM = ""


@dataclass(frozen=True)
class Notification:
    """One server notification about one room, ready to send."""

    room_id: str
    message: ServerMessage

    @property
    def kind(self) -> str:
        return betterproto.which_one_of(self.message, "content")[0]


Subscriber = Callable[[Notification], None]


class NotificationBus:
    """Fans each notification out to every subscriber, in publish order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, room_id: str, message: ServerMessage) -> None:
        notification = Notification(room_id, message)
        for subscriber in list(self._subscribers):
            try:
                subscriber(notification)
            except Exception:
                log.exception("a notification subscriber failed; the others still get it")


def proto_track(track_id: str, track_type: str, metadata_json: str) -> ProtoTrack:
    return ProtoTrack(id=track_id, type=TRACK_TYPES.get(track_type, 0), metadata=metadata_json)


def room_created(room_id: str) -> ServerMessage:
    return ServerMessage(room_created=ServerMessageRoomCreated(room_id=room_id))


def room_deleted(room_id: str) -> ServerMessage:
    return ServerMessage(room_deleted=ServerMessageRoomDeleted(room_id=room_id))


def peer_added(room_id: str, peer_id: str, peer_type: str) -> ServerMessage:
    return ServerMessage(peer_added=ServerMessagePeerAdded(room_id, peer_id, PEER_TYPES[peer_type]))


def peer_deleted(room_id: str, peer_id: str, peer_type: str) -> ServerMessage:
    return ServerMessage(
        peer_deleted=ServerMessagePeerDeleted(room_id, peer_id, PEER_TYPES[peer_type])
    )


def peer_connected(room_id: str, peer_id: str, peer_type: str) -> ServerMessage:
    return ServerMessage(
        peer_connected=ServerMessagePeerConnected(room_id, peer_id, PEER_TYPES[peer_type])
    )


def peer_disconnected(room_id: str, peer_id: str, peer_type: str) -> ServerMessage:
    return ServerMessage(
        peer_disconnected=ServerMessagePeerDisconnected(room_id, peer_id, PEER_TYPES[peer_type])
    )


def peer_crashed(room_id: str, peer_id: str, peer_type: str, reason: str) -> ServerMessage:
    return ServerMessage(
        peer_crashed=ServerMessagePeerCrashed(
            room_id=room_id, peer_id=peer_id, reason=reason, peer_type=PEER_TYPES[peer_type]
        )
    )


def peer_metadata_updated(
    room_id: str, peer_id: str, peer_type: str, metadata: Any
) -> ServerMessage:
    return ServerMessage(
        peer_metadata_updated=ServerMessagePeerMetadataUpdated(
            room_id=room_id,
            peer_id=peer_id,
            metadata=json.dumps(metadata),
            peer_type=PEER_TYPES[peer_type],
        )
    )


def track_added(room_id: str, peer_id: str, track: ProtoTrack) -> ServerMessage:
    return ServerMessage(
        track_added=ServerMessageTrackAdded(room_id=room_id, peer_id=peer_id, track=track)
    )


def track_removed(room_id: str, peer_id: str, track: ProtoTrack) -> ServerMessage:
    return ServerMessage(
        track_removed=ServerMessageTrackRemoved(room_id=room_id, peer_id=peer_id, track=track)
    )


def recording_status_changed(recording_id: str, status: str, metadata: Any) -> ServerMessage:
    return ServerMessage(
        recording_status_changed=ServerMessageRecordingStatusChanged(
            recording_id=recording_id,
            status=RECORDING_STATUSES[status],
            metadata=json.dumps(metadata) if metadata is not None else "",
        )
    )
