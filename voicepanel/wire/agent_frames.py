"""Hand-rolled protobuf for the agent socket's per-frame messages, both directions.

betterproto spends a few hundred microseconds per message, which at 50 frames a second
per track was most of the sandbox's CPU and a large part of the local agent's. These
shapes are simple enough to encode and decode by hand; a frame that does not match
exactly is left to betterproto (``None`` from the decoders), so the bytes on the wire and
the handling of odd input are the same as with the generated code (tests compare them).

Server side (the sandbox): ``encode_track_data`` (AgentResponse.track_data) and
``decode_track_data`` / ``TrackDataReader`` (AgentRequest.track_data). Client side (the
local agent): ``encode_chunk`` (AgentRequest.track_data) and ``decode_received``
(AgentResponse.track_data).
"""

from __future__ import annotations

import functools

from fishjam.events._protos.fishjam import AgentResponseTrackData
from fishjam.events._protos.fishjam.notifications import Track as ProtoTrack

# Tags: field number << 3 | wire type (2: length-delimited, 0: varint).
_REQUEST_TRACK_DATA = 0x22  # AgentRequest.track_data = 4
_RESPONSE_TRACK_DATA = 0x12  # AgentResponse.track_data = 2
_TRACK_ID = 0x0A  # AgentRequestTrackData.track_id = 1
_DATA_IN = 0x12  # AgentRequestTrackData.data = 2
_PEER_ID = 0x0A  # AgentResponseTrackData.peer_id = 1
_TRACK = 0x12  # AgentResponseTrackData.track = 2
_DATA_OUT = 0x1A  # AgentResponseTrackData.data = 3
_TRACK_ID_IN_TRACK = 0x0A  # Track.id = 1


def varint(value: int) -> bytes:
    """A protobuf base-128 varint."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the varint at `pos`; ValueError if it is cut short."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 35:
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


# -- server side: the sandbox --------------------------------------------------------------


def track_data_prefix(peer_id: str, track: ProtoTrack) -> bytes:
    """The fixed part of every `AgentResponseTrackData` for one track, encoded once."""
    return bytes(AgentResponseTrackData(peer_id=peer_id, track=track))


@functools.lru_cache(maxsize=1024)
def _response_head(prefix: bytes, size: int) -> bytes:
    """Every byte of an AgentResponse.track_data before its `size` bytes of audio: the same
    for every frame of one track and size, so it is made once."""
    inner_len = len(prefix) + 1 + len(varint(size)) + size
    return b"".join(
        (
            bytes((_RESPONSE_TRACK_DATA,)),
            varint(inner_len),
            prefix,
            bytes((_DATA_OUT,)),
            varint(size),
        )
    )


def encode_track_data(prefix: bytes, data: bytes) -> bytes:
    """`bytes(AgentResponse(track_data=...))` for a non-empty `data`, without betterproto."""
    return _response_head(prefix, len(data)) + data


def decode_track_data(frame: bytes) -> tuple[str, bytes] | None:
    """(track_id, data) if `frame` is exactly an `AgentRequest.track_data`, else None."""
    try:
        if not frame or frame[0] != _REQUEST_TRACK_DATA:
            return None
        length, pos = read_varint(frame, 1)
        if pos + length != len(frame):
            return None
        track_id, data = "", b""
        while pos < len(frame):
            tag = frame[pos]
            if tag not in (_TRACK_ID, _DATA_IN):
                return None
            size, pos = read_varint(frame, pos + 1)
            if pos + size > len(frame):
                return None
            if tag == _TRACK_ID:
                track_id = frame[pos : pos + size].decode()
            else:
                data = frame[pos : pos + size]
            pos += size
        return track_id, data
    except (ValueError, UnicodeDecodeError):
        return None


def _request_head(track_id: str, size: int) -> bytes:
    """Every byte of an AgentRequest.track_data before its `size` bytes of audio, in the
    order the SDK writes them (track id, then data)."""
    raw = track_id.encode()
    fields = bytes((_TRACK_ID,)) + varint(len(raw)) + raw + bytes((_DATA_IN,)) + varint(size)
    return bytes((_REQUEST_TRACK_DATA,)) + varint(len(fields) + size) + fields


class TrackDataReader:
    """`decode_track_data` for one sender, remembering the layout of its last frame.

    An agent's frames of one track and size share every byte before the audio, so a frame
    that starts with the last one's head and is as long is read with one comparison; any
    other frame is decoded in full (and its head remembered if it is laid out as the SDK
    writes it)."""

    def __init__(self) -> None:
        self._head = b""
        self._track_id = ""
        self._length = 0

    def read(self, frame: bytes) -> tuple[str, bytes] | None:
        head = self._head
        if head and len(frame) == self._length and frame.startswith(head):
            return self._track_id, frame[len(head) :]
        decoded = decode_track_data(frame)
        if decoded is not None:
            track_id, data = decoded
            head = _request_head(track_id, len(data))
            if track_id and data and len(frame) == len(head) + len(data) and frame.startswith(head):
                self._head, self._track_id, self._length = head, track_id, len(frame)
        return decoded


# -- client side: the local agent ----------------------------------------------------------


def chunk_prefix(track_id: str) -> bytes:
    """The fixed part of every `AgentRequestTrackData` for one outgoing track."""
    raw = track_id.encode()
    return bytes((_TRACK_ID,)) + varint(len(raw)) + raw


def encode_chunk(prefix: bytes, data: bytes) -> bytes:
    """`bytes(AgentRequest(track_data=AgentRequestTrackData(track_id, data)))` for a
    non-empty `data`: what `OutgoingTrack.send_chunk` puts on the wire."""
    size = varint(len(data))
    inner_len = len(prefix) + 1 + len(size) + len(data)
    return b"".join(
        (bytes((_REQUEST_TRACK_DATA,)), varint(inner_len), prefix, bytes((_DATA_IN,)), size, data)
    )


def decode_received(frame: bytes) -> tuple[str, str, bytes] | None:
    """(peer_id, track_id, data) if `frame` is exactly an `AgentResponse.track_data`
    with non-empty data, else None (other messages, or anything unusual: betterproto's)."""
    try:
        if not frame or frame[0] != _RESPONSE_TRACK_DATA:
            return None
        length, pos = read_varint(frame, 1)
        end = len(frame)
        if pos + length != end:
            return None
        peer_id, track_id, data = "", "", b""
        while pos < end:
            tag = frame[pos]
            if tag not in (_PEER_ID, _TRACK, _DATA_OUT):
                return None
            size, pos = read_varint(frame, pos + 1)
            stop = pos + size
            if stop > end:
                return None
            if tag == _PEER_ID:
                peer_id = frame[pos:stop].decode()
            elif tag == _TRACK:
                track_id = _track_id(frame, pos, stop)
            else:
                data = frame[pos:stop]
            pos = stop
        return (peer_id, track_id, data) if data else None
    except (ValueError, UnicodeDecodeError):
        return None


def _track_id(buf: bytes, pos: int, end: int) -> str:
    """Track.id inside a Track message (id, type, metadata); ValueError if malformed."""
    track_id = ""
    while pos < end:
        tag = buf[pos]
        if tag & 0x07 == 0:  # a varint (the track type)
            _, pos = read_varint(buf, pos + 1)
            continue
        if tag & 0x07 != 2:
            raise ValueError("unexpected wire type in Track")
        size, pos = read_varint(buf, pos + 1)
        if pos + size > end:
            raise ValueError("truncated Track")
        if tag == _TRACK_ID_IN_TRACK:
            track_id = buf[pos : pos + size].decode()
        pos += size
    if pos != end:
        raise ValueError("Track overruns its length")
    return track_id
