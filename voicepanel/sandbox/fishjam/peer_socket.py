"""The WebRTC peer WebSocket (`/socket/peer/websocket`), reduced to presence.

Real clients negotiate WebRTC media over this socket; the sandbox speaks no WebRTC, so no
media flows for WebRTC peers. It only accepts the peer token (`PeerMessage.auth_request`
-> `authenticated`), which marks the peer connected (PeerConnected, then PeerMetadataUpdated
with the peer's metadata), and marks it disconnected on close. Media events are read and
ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import betterproto
from aiohttp import WSCloseCode, web

from voicepanel.sandbox.fishjam.direct_frames import DirectFrames
from voicepanel.sandbox.fishjam.outbox import Outbox
from voicepanel.sandbox.fishjam.state import FishjamState, Peer, PeerType, Track
from voicepanel.sandbox.fishjam.wire import (
    BadFrame,
    Handler,
    SocketRegistry,
    first_auth_request,
    parse_frame,
    serve_client,
    socket_handler,
)

log = logging.getLogger(__name__)


# fishjam/peer_notifications.proto; the Python SDK does not ship it.
@dataclass(eq=False, repr=False)
class PeerMessageAuthenticated(betterproto.Message):
    pass


@dataclass(eq=False, repr=False)
class PeerMessageAuthRequest(betterproto.Message):
    token: str = betterproto.string_field(1)
    sdk_version: str = betterproto.string_field(2)


@dataclass(eq=False, repr=False)
class PeerMessageMediaEvent(betterproto.Message):
    data: str = betterproto.string_field(1)


@dataclass(eq=False, repr=False)
class PeerMessage(betterproto.Message):
    authenticated: PeerMessageAuthenticated = betterproto.message_field(1, group="content")
    auth_request: PeerMessageAuthRequest = betterproto.message_field(2, group="content")
    media_event: PeerMessageMediaEvent = betterproto.message_field(3, group="content")


class PeerSocket:
    """One WebRTC peer's signalling socket, minus the signalling."""

    def __init__(
        self, ws: web.WebSocketResponse, state: FishjamState, direct: DirectFrames
    ) -> None:
        self._ws = ws
        self._state = state
        self._outbox = Outbox(ws, "peer socket", 100, direct.abort, direct=direct)
        self._peer: Peer | None = None

    async def run(self) -> None:
        await serve_client(self._outbox, self._serve, self._release, log, "peer socket")

    async def _serve(self) -> None:
        await self._authenticate()
        while True:
            parse_frame(await self._ws.receive(), PeerMessage)

    def _release(self) -> None:
        if self._peer is not None:
            self._state.disconnect(self._peer, self)

    async def _authenticate(self) -> None:
        request = await first_auth_request(self._ws, PeerMessage, PeerMessageAuthRequest)
        peer = self._state.peer_for_token(request.token)
        if peer is None or peer.type is not PeerType.WEBRTC:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "invalid token")
        if peer.connection is not None:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "peer already connected")
        self._outbox.send(bytes(PeerMessage(authenticated=PeerMessageAuthenticated())))
        self._peer = peer
        self._state.connect(peer, self)
        self._state.announce_metadata(peer)

    def deliver(self, track: Track, frame: bytes) -> None:
        pass  # no media reaches WebRTC peers in the sandbox

    def close(self, reason: str) -> None:
        self._outbox.close(WSCloseCode.OK, reason)

    def room_emptied(self) -> None:
        pass


def peer_socket_handler(state: FishjamState, sockets: SocketRegistry) -> Handler:
    return socket_handler(sockets, lambda ws, direct: PeerSocket(ws, state, direct).run())
