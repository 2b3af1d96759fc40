"""The local agent's side of the hand-rolled agent codec: what it sends is byte for byte
what the SDK's `send_chunk` sends, and what it reads is what betterproto would read."""

from __future__ import annotations

import pytest
from fishjam.events._protos.fishjam import (
    AgentRequest,
    AgentRequestTrackData,
    AgentResponse,
    AgentResponseAuthenticated,
    AgentResponseTrackData,
    AgentResponseTrackImage,
)
from fishjam.events._protos.fishjam.notifications import Track, TrackType

from voicepanel.wire.agent_frames import chunk_prefix, decode_received, encode_chunk


@pytest.mark.parametrize("size", [1, 127, 128, 640, 960, 70_000])
def test_a_sent_chunk_is_what_the_sdk_sends(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    track_id = "f" * 32
    expected = bytes(AgentRequest(track_data=AgentRequestTrackData(track_id=track_id, data=data)))
    assert encode_chunk(chunk_prefix(track_id), data) == expected


@pytest.mark.parametrize("size", [1, 640, 70_000])
@pytest.mark.parametrize("metadata", ["", '{"source": "x"}', "m" * 300])
def test_received_audio_is_read_like_betterproto(size: int, metadata: str) -> None:
    data = b"\x07\x80" * (size // 2) + b"\x01" * (size % 2)
    track = Track(id="t" * 32, type=TrackType.TRACK_TYPE_AUDIO, metadata=metadata)
    frame = bytes(
        AgentResponse(track_data=AgentResponseTrackData(peer_id="p" * 32, track=track, data=data))
    )
    assert decode_received(frame) == ("p" * 32, "t" * 32, data)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x12",
        b"\x12\x05\x0a\x10abc",  # length runs past the end
        b"\x12\xff\xff\xff\xff\xff\xff\x01",
        bytes(AgentResponse(authenticated=AgentResponseAuthenticated())),
        bytes(AgentResponse(track_image=AgentResponseTrackImage(track_id="a", data=b"img"))),
        bytes(AgentResponse(track_data=AgentResponseTrackData(peer_id="p", data=b""))),
        bytes(AgentResponse(track_data=AgentResponseTrackData(peer_id="p", data=b"d"))) + b"\x00",
    ],
)
def test_anything_else_is_left_to_betterproto(frame: bytes) -> None:
    assert decode_received(frame) is None
