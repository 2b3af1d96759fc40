"""The server-notifier WebSocket (`/socket/server/websocket`): auth, subscribe, then notifications.

Requests are handled strictly in the order they arrive (clients may send auth and subscribe
together); nothing is pushed before a subscription, and each notification travels in its
own frame through the client's own bounded outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import WSCloseCode, web
from fishjam.events._protos.fishjam import (
    ServerMessage,
    ServerMessageAuthenticated,
    ServerMessageAuthRequest,
    ServerMessageEventType,
    ServerMessageSubscribeRequest,
    ServerMessageSubscribeResponse,
)

from voicepanel.sandbox.fishjam.direct_frames import DirectFrames
from voicepanel.sandbox.fishjam.notifications import Notification
from voicepanel.sandbox.fishjam.outbox import Outbox
from voicepanel.sandbox.fishjam.state import FishjamState
from voicepanel.sandbox.fishjam.wire import (
    AUTH_TIMEOUT_S,
    BadFrame,
    Handler,
    SocketRegistry,
    parse_frame,
    serve_client,
    socket_handler,
)

log = logging.getLogger(__name__)

# Notifications a client may have waiting before it counts as hopelessly behind.
MAX_QUEUED_NOTIFICATIONS = 10_000


class NotifierSocket:
    """One connected notifier client."""

    def __init__(
        self, ws: web.WebSocketResponse, state: FishjamState, direct: DirectFrames
    ) -> None:
        self._ws = ws
        self._state = state
        self._outbox = Outbox(
            ws, "notifier socket", MAX_QUEUED_NOTIFICATIONS, direct.abort, direct=direct
        )
        self._authenticated = False
        self._unsubscribe: Callable[[], None] | None = None

    async def run(self) -> None:
        await serve_client(self._outbox, self._serve, self._release, log, "notifier socket")

    def _release(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    async def _serve(self) -> None:
        while True:
            timeout = None if self._authenticated else AUTH_TIMEOUT_S
            msg = await asyncio.wait_for(self._ws.receive(), timeout)
            name, value = parse_frame(msg, ServerMessage)
            if name == "auth_request":
                assert isinstance(value, ServerMessageAuthRequest)
                self._authenticate(value)
            elif not self._authenticated:
                raise BadFrame(WSCloseCode.POLICY_VIOLATION, "not authenticated")
            elif name == "subscribe_request":
                assert isinstance(value, ServerMessageSubscribeRequest)
                self._subscribe(value)
            # Anything else a client sends is not for the server to act on; ignore it.

    def _authenticate(self, request: ServerMessageAuthRequest) -> None:
        if request.token != self._state.management_token:
            # The SDK turns exactly this reason into "Invalid management token".
            raise BadFrame(WSCloseCode.OK, "invalid token")
        if not self._authenticated:
            self._authenticated = True
            self._outbox.send(bytes(ServerMessage(authenticated=ServerMessageAuthenticated())))

    def _subscribe(self, request: ServerMessageSubscribeRequest) -> None:
        event_type = request.event_type
        if event_type != ServerMessageEventType.EVENT_TYPE_SERVER_NOTIFICATION:
            raise BadFrame(WSCloseCode.POLICY_VIOLATION, "unsupported event type")
        response = ServerMessageSubscribeResponse(event_type=event_type)
        self._outbox.send(bytes(ServerMessage(subscribe_response=response)))
        if self._unsubscribe is None:
            self._unsubscribe = self._state.bus.subscribe(self._on_notification)

    def _on_notification(self, notification: Notification) -> None:
        self._outbox.send(bytes(notification.message))


def notifier_socket_handler(state: FishjamState, sockets: SocketRegistry) -> Handler:
    return socket_handler(sockets, lambda ws, direct: NotifierSocket(ws, state, direct).run())
