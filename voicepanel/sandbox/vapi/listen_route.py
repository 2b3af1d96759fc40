"""The route behind `monitor.listenUrl`: attaches a listener to a call's `ListenTap`."""

from __future__ import annotations

from aiohttp import web

from .calls import CallStatus
from .errors import VapiApiError, error_response
from .listen import ListenTap
from .state import SandboxState


class ListenRoute:
    def __init__(self, state: SandboxState) -> None:
        self._state = state

    async def handle(self, request: web.Request) -> web.StreamResponse:
        call_id = request.match_info["call_id"]
        record = self._state.book.get(call_id)
        if record is None or self._state.closing:
            return error_response(VapiApiError(404, f"Call {call_id} not found."))
        if record.status is CallStatus.ENDED:
            return error_response(VapiApiError(409, f"Call {call_id} has ended."))
        ws = web.WebSocketResponse(timeout=2.0)
        if not ws.can_prepare(request).ok:
            return error_response(VapiApiError(400, "This is a WebSocket endpoint."))
        tap = self._state.taps.setdefault(call_id, ListenTap(record.sample_rate))
        await ws.prepare(request)
        await tap.serve(ws)
        return ws
