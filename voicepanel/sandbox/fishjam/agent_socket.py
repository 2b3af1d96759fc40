"""The agent WebSocket (`/socket/agent/websocket`): an agent peer's audio in and out.

In: auth, add/remove track (PCM16 at 16, 24 or 48 kHz; Opus is not supported), track data
(queued for real-time playout), interrupt. Out:
`authenticated`, then one `track_data` per 20 ms frame of every track the agent hears,
converted to the output rate the agent asked for when it was created.
"""

from __future__ import annotations

import logging

from aiohttp import WSCloseCode, WSMsgType, web
from fishjam.events._protos.fishjam import (
    AgentRequest,
    AgentRequestAddTrack,
    AgentRequestAuthRequest,
    AgentRequestInterruptTrack,
    AgentRequestRemoveTrack,
    AgentRequestTrackData,
    AgentResponse,
    AgentResponseAuthenticated,
)
from fishjam.events._protos.fishjam.notifications import TrackEncoding, TrackType

from voicepanel.sandbox.fishjam.audio import RateConverter
from voicepanel.sandbox.fishjam.direct_frames import DirectFrames
from voicepanel.sandbox.fishjam.notifications import MAX_METADATA_BYTES
from voicepanel.sandbox.fishjam.outbox import Outbox, Overflow
from voicepanel.sandbox.fishjam.state import FishjamState, Peer, PeerType, Track
from voicepanel.sandbox.fishjam.wire import (
    BadFrame,
    Closed,
    Handler,
    SocketRegistry,
    first_auth_request,
    parse_frame,
    serve_client,
    socket_handler,
)
from voicepanel.wire.agent_frames import TrackDataReader, encode_track_data

log = logging.getLogger(__name__)

SAMPLE_RATES = (16000, 24000, 48000)
CHANNELS = (1, 2)
PCM16_ENCODINGS = (TrackEncoding.TRACK_ENCODING_UNSPECIFIED, TrackEncoding.TRACK_ENCODING_PCM16)
# Frames an agent may have waiting (all tracks together); beyond that the oldest go, so an
# agent that only talks and never reads keeps working and memory stays bounded.
MAX_QUEUED_FRAMES = 500
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class AgentSocket:
    """One agent's connection; the state reaches it as the peer's `PeerConnection`."""

    def __init__(
        self, ws: web.WebSocketResponse, state: FishjamState, direct: DirectFrames
    ) -> None:
        self._ws = ws
        self._state = state
        self._outbox = Outbox(
            ws, "agent socket", MAX_QUEUED_FRAMES, direct.abort, Overflow.DROP_OLDEST, direct
        )
        self._peer: Peer | None = None
        self._converters: dict[str, RateConverter] = {}

    async def run(self) -> None:
        await serve_client(self._outbox, self._serve, self._release, log, "agent socket")

    async def _serve(self) -> None:
        peer = await self._authenticate()
        reader = TrackDataReader()
        while True:
            msg = await self._ws.receive()
            fast = reader.read(msg.data) if msg.type is WSMsgType.BINARY else None
            if fast is not None:
                self._on_track_data(peer, *fast)
            else:
                _, request = parse_frame(msg, AgentRequest)
                self._handle(peer, request)

    def _release(self) -> None:
        if self._peer is not None:
            self._state.disconnect(self._peer, self)

    async def _authenticate(self) -> Peer:
        request = await first_auth_request(self._ws, AgentRequest, AgentRequestAuthRequest)
        peer = self._state.peer_for_token(request.token)
        if peer is None:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "invalid token")
        if peer.type is not PeerType.AGENT:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "token does not belong to an agent")
        if peer.connection is not None:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "peer already connected")
        self._outbox.send(bytes(AgentResponse(authenticated=AgentResponseAuthenticated())))
        self._peer = peer
        self._state.connect(peer, self)
        self._state.announce_metadata(peer)
        return peer

    def _handle(self, peer: Peer, value: object) -> None:
        if peer.deleted:
            raise Closed()
        room = self._state.rooms[peer.room_id]
        if isinstance(value, AgentRequestTrackData):
            self._on_track_data(peer, value.track_id, value.data)
        elif isinstance(value, AgentRequestAddTrack):
            self._add_track(peer, value)
        elif isinstance(value, AgentRequestInterruptTrack):
            if value.track_id in peer.tracks:
                room.playout.interrupt(value.track_id)
        elif isinstance(value, AgentRequestRemoveTrack):
            self._state.remove_track(peer, value.track_id)
        # auth_request again and capture_image (no video here) need no answer.

    def _on_track_data(self, peer: Peer, track_id: str, data: bytes) -> None:
        if peer.deleted:
            raise Closed()
        if track_id in peer.tracks:
            self._state.rooms[peer.room_id].playout.push(track_id, data)
        else:
            log.debug("agent %s sent data for unknown track %s", peer.id, track_id)

    def _add_track(self, peer: Peer, request: AgentRequestAddTrack) -> None:
        track, codec = request.track, request.codec_params
        room = self._state.rooms[peer.room_id]
        if not track.id:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "add_track: track id is missing")
        if room.track(track.id) is not None:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, f"add_track: track {track.id} exists")
        if track.type != TrackType.TRACK_TYPE_AUDIO:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "add_track: only audio tracks")
        size = len(track.metadata.encode())
        if size > MAX_METADATA_BYTES:
            # Every notifier client and webhook would get it: refuse it here, for this
            # agent alone, rather than let it disrupt notifications for everyone.
            raise BadFrame(
                WSCloseCode.POLICY_VIOLATION,
                f"add_track: track metadata is {size} bytes; the limit is {MAX_METADATA_BYTES}",
            )
        if codec.encoding not in PCM16_ENCODINGS:
            raise BadFrame(
                WSCloseCode.POLICY_VIOLATION, "add_track: unsupported encoding, use PCM16"
            )
        if codec.sample_rate not in SAMPLE_RATES:
            raise BadFrame(
                WSCloseCode.POLICY_VIOLATION,
                f"add_track: sample rate {codec.sample_rate} not supported (16000, 24000 or 48000)",
            )
        if codec.channels not in CHANNELS:
            raise BadFrame(
                WSCloseCode.POLICY_VIOLATION,
                f"add_track: {codec.channels} channels not supported (1 or 2)",
            )
        self._state.add_track(
            peer,
            Track(track.id, peer.id, "audio", track.metadata, codec.sample_rate, codec.channels),
        )

    # -- PeerConnection ----------------------------------------------------------------

    def deliver(self, track: Track, frame: bytes) -> None:
        if self._peer is None:
            return
        converter = self._converters.get(track.id)
        if converter is None:
            self._forget_departed_tracks()
            converter = RateConverter(track.sample_rate, self._peer.output_rate)
            self._converters[track.id] = converter
        for chunk in converter.feed(frame):
            self._outbox.send(encode_track_data(track.wire_prefix, chunk))

    def _forget_departed_tracks(self) -> None:
        room = self._state.rooms.get(self._peer.room_id) if self._peer else None
        if room is not None:
            for track_id in [t for t in self._converters if room.track(t) is None]:
                del self._converters[track_id]

    def close(self, reason: str) -> None:
        self._outbox.close(WSCloseCode.OK, reason)

    def room_emptied(self) -> None:
        pass


def agent_socket_handler(state: FishjamState, sockets: SocketRegistry) -> Handler:
    return socket_handler(
        sockets,
        lambda ws, direct: AgentSocket(ws, state, direct).run(),
        max_msg_size=MAX_MESSAGE_BYTES,
    )
