"""Every server notification the SDK can deliver becomes a JSON-ready Notification."""

from __future__ import annotations

import json

import pytest
from fishjam.events import (
    ServerMessageChannelAdded,
    ServerMessagePeerAdded,
    ServerMessagePeerCrashed,
    ServerMessagePeerMetadataUpdated,
    ServerMessagePeerType,
    ServerMessageRecordingStatusChanged,
    ServerMessageRecordingStatusChangedStatus,
    ServerMessageRoomCreated,
    ServerMessageTrackAdded,
    ServerMessageTrackMetadataUpdated,
    ServerMessageViewerConnected,
    Track,
    TrackType,
)
from fishjam.events.allowed_notifications import ALLOWED_NOTIFICATIONS

from voicepanel.core.notifications import (
    NOTIFICATION_KINDS,
    Notification,
    notification_from_sdk,
)


def test_kinds_list_every_allowed_notification() -> None:
    assert len(NOTIFICATION_KINDS) == 19 == len(ALLOWED_NOTIFICATIONS)
    assert "RoomCreated" in NOTIFICATION_KINDS and "PeerCrashed" in NOTIFICATION_KINDS
    assert not any(kind.startswith("ServerMessage") for kind in NOTIFICATION_KINDS)


@pytest.mark.parametrize("cls", ALLOWED_NOTIFICATIONS, ids=lambda c: c.__name__)
def test_every_kind_converts_to_json_and_back(cls: type) -> None:
    message = cls().parse(bytes(cls()))  # as it comes off the wire
    n = notification_from_sdk(message, received_at=12.5)
    assert n.kind == cls.__name__.removeprefix("ServerMessage")
    text = json.dumps(n.to_json())
    assert Notification.from_json(json.loads(text)) == n


def test_room_created_carries_the_room_id() -> None:
    n = notification_from_sdk(ServerMessageRoomCreated(room_id="r1"))
    assert (n.kind, n.room_id, n.peer_id, n.track_id, n.details) == (
        "RoomCreated",
        "r1",
        None,
        None,
        {},
    )
    assert n.received_at > 0


def test_peer_crashed_keeps_the_reason_and_names_the_peer_type() -> None:
    message = ServerMessagePeerCrashed(
        room_id="r",
        peer_id="p",
        reason="call not found",
        peer_type=ServerMessagePeerType.PEER_TYPE_VAPI,
    )
    n = notification_from_sdk(message)
    assert n.peer_id == "p"
    assert n.details == {"reason": "call not found", "peer_type": "PEER_TYPE_VAPI"}


def test_track_added_gives_the_track_as_a_dict_with_parsed_metadata() -> None:
    track = Track(id="t1", type=TrackType.TRACK_TYPE_AUDIO, metadata='{"source": "mic"}')
    n = notification_from_sdk(ServerMessageTrackAdded(room_id="r", peer_id="p", track=track))
    assert n.track_id == "t1" and n.peer_id == "p"
    assert n.details == {
        "track": {"id": "t1", "type": "TRACK_TYPE_AUDIO", "metadata": {"source": "mic"}}
    }


def test_component_tracks_keep_the_component_and_no_empty_peer() -> None:
    track = Track(id="t2", type=TrackType.TRACK_TYPE_VIDEO, metadata="plain text")
    n = notification_from_sdk(
        ServerMessageTrackMetadataUpdated(room_id="r", component_id="c", track=track)
    )
    assert n.peer_id is None
    assert n.details["component_id"] == "c"
    assert n.details["track"]["metadata"] == "plain text"


def test_peer_metadata_is_parsed_when_it_is_json() -> None:
    n = notification_from_sdk(
        ServerMessagePeerMetadataUpdated(
            room_id="r", peer_id="p", metadata='{"peer": {"name": "A"}}'
        )
    )
    assert n.details["metadata"] == {"peer": {"name": "A"}}


def test_unknown_enum_values_survive_as_numbers() -> None:
    wire = bytes(ServerMessagePeerAdded(room_id="r", peer_id="p", peer_type=42))  # type: ignore[arg-type]
    n = notification_from_sdk(ServerMessagePeerAdded().parse(wire))
    assert n.details["peer_type"] == 42
    json.dumps(n.to_json())


def test_stream_recording_and_channel_notifications_keep_their_ids() -> None:
    viewer = notification_from_sdk(ServerMessageViewerConnected(stream_id="s", viewer_id="v"))
    assert viewer.details == {"stream_id": "s", "viewer_id": "v"} and viewer.room_id is None
    rec = notification_from_sdk(
        ServerMessageRecordingStatusChanged(
            recording_id="rec",
            status=ServerMessageRecordingStatusChangedStatus.STATUS_AVAILABLE,
            metadata='{"k": 1}',
        )
    )
    assert rec.details == {
        "recording_id": "rec",
        "status": "STATUS_AVAILABLE",
        "metadata": {"k": 1},
    }
    channel = notification_from_sdk(
        ServerMessageChannelAdded(room_id="r", peer_id="p", channel_id="ch")
    )
    assert channel.details == {"channel_id": "ch"} and channel.peer_id == "p"


def test_from_json_tolerates_missing_fields() -> None:
    n = Notification.from_json({"kind": "RoomDeleted", "room_id": "r"})
    assert n.kind == "RoomDeleted" and n.details == {} and n.received_at == 0.0
