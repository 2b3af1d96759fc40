"""The hand-rolled track-data encoding is byte for byte what the SDK's betterproto makes."""

from __future__ import annotations

import pytest
from fishjam.events._protos.fishjam import (
    AgentRequest,
    AgentRequestAddTrack,
    AgentRequestTrackData,
    AgentResponse,
    AgentResponseTrackData,
)
from fishjam.events._protos.fishjam.notifications import Track, TrackType

from voicepanel.wire.agent_frames import (
    TrackDataReader,
    decode_track_data,
    encode_track_data,
    track_data_prefix,
)


@pytest.mark.parametrize("size", [1, 127, 128, 640, 960, 70_000])
def test_outgoing_track_data_matches_betterproto(size: int) -> None:
    track = Track(id="t" * 32, type=TrackType.TRACK_TYPE_AUDIO, metadata='{"a": 1}')
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    expected = bytes(
        AgentResponse(track_data=AgentResponseTrackData(peer_id="p" * 32, track=track, data=data))
    )
    assert encode_track_data(track_data_prefix("p" * 32, track), data) == expected


@pytest.mark.parametrize("size", [0, 1, 640, 70_000])
def test_incoming_track_data_is_read_like_betterproto(size: int) -> None:
    data = b"\x07" * size
    frame = bytes(AgentRequest(track_data=AgentRequestTrackData(track_id="abc", data=data)))
    assert decode_track_data(frame) == ("abc", data)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x22",
        b"\x22\x05\x0a\x10abc",  # length runs past the end
        b"\x22\xff\xff\xff\xff\xff\xff\x01",
        bytes(AgentRequest(add_track=AgentRequestAddTrack(track=Track(id="x")))),
        bytes(AgentRequest(track_data=AgentRequestTrackData(track_id="a", data=b"d"))) + b"\x00",
    ],
)
def test_anything_else_is_left_to_betterproto(frame: bytes) -> None:
    assert decode_track_data(frame) is None


def _request(track_id: str, data: bytes) -> bytes:
    return bytes(AgentRequest(track_data=AgentRequestTrackData(track_id=track_id, data=data)))


def test_a_senders_frames_are_read_like_betterproto_frame_after_frame() -> None:
    reader = TrackDataReader()
    frames = [
        _request("abc", b"\x01" * 640),
        _request("abc", b"\x02" * 640),  # same track and size: read from the remembered head
        _request("abc", b"\x03" * 640),
        _request("abd", b"\x04" * 640),  # another track
        _request("abc", b"\x05" * 320),  # another size
        _request("abc", b"\x06" * 640),
        _request("abc", b""),
        bytes(AgentRequestTrackData(data=b"\x07" * 640, track_id="abc")),  # not a request
    ]
    read = [reader.read(frame) for frame in frames]
    assert read == [decode_track_data(frame) for frame in frames]
    parsed = [AgentRequest().parse(frame).track_data for frame in frames[:-1]]
    assert read[:-1] == [(p.track_id, p.data) for p in parsed]
    assert read[-1] is None


def test_fields_in_another_order_are_read_in_full() -> None:
    # The audio first, then the track id: valid protobuf the SDK does not write.
    data = b"\x0a" * 640
    inner = b"\x12\x80\x05" + data + b"\x0a\x03abc"
    frame = b"\x22" + bytes((len(inner) & 0x7F | 0x80, len(inner) >> 7)) + inner
    reader = TrackDataReader()
    assert reader.read(_request("abc", b"\x01" * 640)) == ("abc", b"\x01" * 640)
    assert reader.read(frame) == ("abc", data) == decode_track_data(frame)
