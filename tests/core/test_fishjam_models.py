"""RoomSpec validation and conversion of the SDK's OpenAPI models into frozen values."""

from __future__ import annotations

import pytest
from fishjam import Room
from fishjam._fishjam_openapi_client.models import Peer as ApiPeer
from fishjam._fishjam_openapi_client.models import RoomConfig

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import (
    FishjamGateway,
    PeerInfo,
    RoomSpec,
    TrackInfo,
    room_config_info,
    room_info,
)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (RoomSpec(max_peers=-1), "peer limit"),
        (RoomSpec(max_peers="3"), "peer limit"),  # type: ignore[arg-type]
        (RoomSpec(max_peers=True), "peer limit"),
        (RoomSpec(room_type="party"), "room type"),
        (RoomSpec(video_codec="av1"), "video codec"),
        (RoomSpec(webhook_url="ftp://x"), "webhook"),
        (RoomSpec(webhook_url="not a url"), "webhook"),
    ],
)
def test_bad_room_specs_are_refused_with_a_sentence(spec: RoomSpec, words: str) -> None:
    with pytest.raises(VoicePanelError) as info:
        spec.validate()
    assert words in info.value.message
    assert info.value.message.startswith("Could not create the room.")
    assert info.value.hint


@pytest.mark.parametrize(
    "spec",
    [
        RoomSpec(),
        RoomSpec(max_peers=0),
        RoomSpec(max_peers=10, video_codec="vp8", room_type="audio_only"),
        RoomSpec(webhook_url="https://example.com/hook", batch_webhook_notifications=True),
    ],
)
def test_good_room_specs_pass(spec: RoomSpec) -> None:
    spec.validate()


async def test_bad_max_peers_is_rejected_before_anything_is_sent() -> None:
    # Port 9 (discard) on localhost is never reached: validation fails first.
    gateway = FishjamGateway("http://127.0.0.1:9", "some-management-token")
    with pytest.raises(VoicePanelError) as info:
        await gateway.create_room(RoomSpec(max_peers=-5))
    assert "peer limit" in info.value.message
    assert info.value.__cause__ is None


def _peer_json(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "p1",
        "type": "agent",
        "status": "connected",
        "subscribeMode": "manual",
        "metadata": {"peer": {"name": "A"}, "server": {}},
        "tracks": [{"id": "t1", "type": "audio", "metadata": {"source": "mic"}}],
        "subscriptions": {"peers": ["p2"], "tracks": []},
    }
    data.update(over)
    return data


def test_room_with_peers_converts_to_plain_values() -> None:
    config = RoomConfig.from_dict({"maxPeers": 0, "videoCodec": "h264", "roomType": "conference"})
    room = Room(config=config, id="r1", peers=[ApiPeer.from_dict(_peer_json())])
    info = room_info(room)
    assert info.id == "r1"
    assert info.config.max_peers == 0 and info.config.video_codec == "h264"
    assert info.config.room_type == "conference" and info.config.webhook_url is None
    assert info.peers == (
        PeerInfo(
            id="p1",
            type="agent",
            status="connected",
            subscribe_mode="manual",
            metadata={"peer": {"name": "A"}, "server": {}},
            tracks=(TrackInfo(id="t1", type="audio", metadata={"source": "mic"}),),
            subscriptions={"peers": ["p2"], "tracks": []},
        ),
    )
    hash(info.config)  # frozen values


def test_unset_fields_become_defaults() -> None:
    info = room_config_info(RoomConfig())
    assert info.max_peers is None and info.video_codec is None
    assert info.room_type == "conference" and info.public is False
    peer = ApiPeer.from_dict(_peer_json(metadata=None, tracks=[{"id": "t"}], type="vapi"))
    converted = room_info(Room(config=RoomConfig(), id="r", peers=[peer])).peers[0]
    assert converted.type == "vapi" and converted.metadata is None
    assert converted.tracks == (TrackInfo(id="t", type="audio", metadata=None),)


def test_gateway_registers_the_token_with_the_redactor() -> None:
    from voicepanel.core.redact import REDACTOR

    FishjamGateway("http://127.0.0.1:9", "registered-token-xyz")
    assert "registered-token-xyz" not in REDACTOR.redact("token registered-token-xyz")


async def test_missing_fishjam_id_is_reported_on_use() -> None:
    gateway = FishjamGateway("", "some-management-token")
    with pytest.raises(VoicePanelError) as info:
        await gateway.list_rooms()
    assert "No Fishjam ID" in info.value.message
