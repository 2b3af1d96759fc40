"""Hand-rolled protobuf for the two hot agent messages: track data in, track data out.

betterproto spends a few hundred microseconds per message, which at 50 frames a second
per track is most of the sandbox's CPU. These two shapes are simple enough to encode and
decode by hand; any frame that does not match exactly falls back to betterproto, so the
bytes on the wire and the handling of odd input are the same as with the generated code.
"""

from __future__ import annotations

from fishjam.events._protos.fishjam import AgentResponseTrackData
from fishjam.events._protos.fishjam.notifications import Track as ProtoTrack

# Tags: field number << 3 | wire type 2 (length-delimited).
_REQUEST_TRACK_DATA = 0x22  # AgentRequest.track_data = 4
_RESPONSE_TRACK_DATA = 0x12  # AgentResponse.track_data = 2
_TRACK_ID = 0x0A  # AgentRequestTrackData.track_id = 1
_DATA_IN = 0x12  # AgentRequestTrackData.data = 2
_DATA_OUT = 0x1A  # AgentResponseTrackData.data = 3


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


def track_data_prefix(peer_id: str, track: ProtoTrack) -> bytes:
    """The fixed part of every `AgentResponseTrackData` for one track, encoded once."""
    return bytes(AgentResponseTrackData(peer_id=peer_id, track=track))


def encode_track_data(prefix: bytes, data: bytes) -> bytes:
    """`bytes(AgentResponse(track_data=...))` for a non-empty `data`, without betterproto."""
    inner_len = len(prefix) + 1 + len(varint(len(data))) + len(data)
    return b"".join(
        (
            bytes((_RESPONSE_TRACK_DATA,)),
            varint(inner_len),
            prefix,
            bytes((_DATA_OUT,)),
            varint(len(data)),
            data,
        )
    )


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
