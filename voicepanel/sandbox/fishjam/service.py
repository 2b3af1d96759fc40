"""`FishjamSandbox`: the Fishjam side assembled: state, REST, sockets, webhooks, VAPI peers."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from voicepanel.sandbox.fishjam.agent_socket import agent_socket_handler
from voicepanel.sandbox.fishjam.notifications import NotificationBus
from voicepanel.sandbox.fishjam.notifier_socket import notifier_socket_handler
from voicepanel.sandbox.fishjam.peer_socket import peer_socket_handler
from voicepanel.sandbox.fishjam.recordings import RecordingsRest
from voicepanel.sandbox.fishjam.rest import FishjamRest, fishjam_error_middleware
from voicepanel.sandbox.fishjam.state import FishjamState, Peer
from voicepanel.sandbox.fishjam.streaming import StreamingRest
from voicepanel.sandbox.fishjam.vapi_bridge import VapiBridge
from voicepanel.sandbox.fishjam.webhooks import WebhookSender
from voicepanel.sandbox.fishjam.wire import SocketRegistry
from voicepanel.sandbox.paths import normalised

log = logging.getLogger(__name__)


class FishjamSandbox:
    """Everything Fishjam-shaped the sandbox serves, mounted on one aiohttp application."""

    def __init__(
        self, management_token: str, webhook_secret: str, vapi_prefix: str = "/vapi"
    ) -> None:
        self.state = FishjamState(management_token, NotificationBus())
        self._webhook_secret = webhook_secret
        self._vapi_prefix = vapi_prefix
        self._recordings = RecordingsRest(self.state)
        self._webhooks: WebhookSender | None = None
        self._http: aiohttp.ClientSession | None = None
        self._bridges: set[VapiBridge] = set()
        self._base_url = ""
        self._sockets = SocketRegistry()

    def add_routes(self, app: web.Application) -> None:
        """Mount REST at the root and the three sockets; must run before the app starts."""
        prefix = self._vapi_prefix.rstrip("/")

        def is_fishjam_path(path: str) -> bool:
            path = normalised(path)
            return not (path == prefix or path.startswith(prefix + "/"))

        app.middlewares.append(fishjam_error_middleware(is_fishjam_path))
        FishjamRest(self.state, self._start_vapi_peer).add_routes(app)
        StreamingRest(self.state).add_routes(app)
        self._recordings.add_routes(app)
        app.router.add_get(
            "/socket/server/websocket", notifier_socket_handler(self.state, self._sockets)
        )
        app.router.add_get(
            "/socket/agent/websocket", agent_socket_handler(self.state, self._sockets)
        )
        app.router.add_get("/socket/peer/websocket", peer_socket_handler(self.state, self._sockets))

    async def start(self, base_url: str) -> None:
        """Begin serving; `base_url` is where this server listens (VAPI lives under it)."""
        self._base_url = base_url.rstrip("/")
        self._webhooks = WebhookSender(self.state, self._webhook_secret)
        self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        self._recordings.close()
        await self.state.shutdown()
        await self._sockets.close_all("sandbox stopped")
        tasks = [b.task for b in self._bridges if b.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._bridges.clear()
        if self._webhooks is not None:
            await self._webhooks.close()
        if self._http is not None:
            await self._http.close()

    def _start_vapi_peer(self, peer: Peer) -> None:
        assert self._http is not None, "FishjamSandbox.start() was not called"
        bridge = VapiBridge(self.state, peer, self._http, self._base_url + self._vapi_prefix)
        self._bridges.add(bridge)
        bridge.start()
        assert bridge.task is not None
        bridge.task.add_done_callback(lambda _: self._bridges.discard(bridge))
