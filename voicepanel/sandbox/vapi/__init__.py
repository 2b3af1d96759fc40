"""The VAPI half of the sandbox: a VAPI-compatible API under a prefix (default /vapi).

    sandbox = VapiSandbox(api_key="sandbox-vapi-key", reply_delay_s=0.4, end_of_turn_s=1.5)
    sandbox.add_routes(app)          # aiohttp.web.Application
    ...
    await sandbox.close()            # ends live calls, closes sockets, cancels tasks

Routes (all under the prefix):
    POST   /call, GET /call, GET /call/{id}, DELETE /call/{id}   REST, Bearer API key
    GET    /assistant, GET /assistant/{id}                        REST, Bearer API key
    GET    /call/{id}/transport   the call's vapi.websocket transport (websocketCallUrl)
    POST   /call/{id}/control     monitor.controlUrl
    GET    /call/{id}/listen      monitor.listenUrl (listen-only, stereo PCM)

The built-in assistants and what an assistant's JSON makes a sandbox call do are described
in `assistants.py` and `tools.py`; the Server URL events in `call_events.py`.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from .api import RestApi
from .assistants import (
    DEFAULT_END_OF_TURN_S,
    DEFAULT_REPLY_DELAY_S,
    ECHO_ASSISTANT_ID,
    GREETER_ASSISTANT_ID,
    ORDER_DESK_ASSISTANT_ID,
    SCRIPTED_ASSISTANT_ID,
    Timing,
    builtin_assistants,
)
from .calls import EndedReason
from .control import ControlRoute
from .listen_route import ListenRoute
from .state import SandboxState
from .transport import TransportRoute

__all__ = [
    "DEFAULT_END_OF_TURN_S",
    "DEFAULT_REPLY_DELAY_S",
    "ECHO_ASSISTANT_ID",
    "GREETER_ASSISTANT_ID",
    "ORDER_DESK_ASSISTANT_ID",
    "SCRIPTED_ASSISTANT_ID",
    "VapiSandbox",
]

log = logging.getLogger(__name__)

DEFAULT_QUEUED_TIMEOUT_S = 600.0
# How long stopping waits for the calls' last Server URL messages to go out.
EVENT_DRAIN_S = 2.0


class VapiSandbox:
    def __init__(
        self,
        api_key: str,
        reply_delay_s: float = DEFAULT_REPLY_DELAY_S,
        *,
        end_of_turn_s: float = DEFAULT_END_OF_TURN_S,
        queued_timeout_s: float = DEFAULT_QUEUED_TIMEOUT_S,
    ) -> None:
        timing = Timing(reply_delay_s=reply_delay_s, end_of_turn_s=end_of_turn_s)
        self._state = SandboxState(
            api_key=api_key,
            timing=timing,
            assistants=builtin_assistants(timing),
            queued_timeout_s=queued_timeout_s,
        )

    def add_routes(self, app: web.Application, prefix: str = "/vapi") -> None:
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        state = self._state
        app.add_routes(RestApi(state, prefix).routes())
        app.add_routes(
            [
                web.get(f"{prefix}/call/{{call_id}}/transport", TransportRoute(state).handle),
                web.post(f"{prefix}/call/{{call_id}}/control", ControlRoute(state).handle),
                web.get(f"{prefix}/call/{{call_id}}/listen", ListenRoute(state).handle),
            ]
        )

    async def close(self) -> None:
        state = self._state
        state.closing = True
        for handle in state.expiries.values():
            handle.cancel()
        state.expiries.clear()
        live_calls = list(state.live.values())
        for live in live_calls:
            live.end(EndedReason.WORKER_SHUTDOWN)
        await asyncio.gather(*(live.close() for live in live_calls), return_exceptions=True)
        taps = list(state.taps.values())
        state.taps.clear()
        await asyncio.gather(*(tap.close() for tap in taps), return_exceptions=True)
        # Give the transports a moment to send their final status and close.
        for _ in range(50):
            if not state.live:
                break
            await asyncio.sleep(0.02)
        for events in list(state.events.values()):  # queued calls: nothing more to tell
            if events.poster is not None:
                events.poster.finish()
        background = list(state.background)
        if background:
            _, late = await asyncio.wait(background, timeout=EVENT_DRAIN_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await state.close_http()
