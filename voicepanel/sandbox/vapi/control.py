"""The control endpoint at `monitor.controlUrl`: POST a steering message into a live call.

Takes the same JSON as the transport socket (say, end-call, add-message, control). 200 when
it is applied; 400 for a message that is not understood; 404 for an unknown call; 409 when
the call is not live (still queued, or ended). Like VAPI's, it takes no API key: the URL is
the capability.
"""

from __future__ import annotations

from aiohttp import web

from .calls import CallStatus
from .commands import CommandError, parse_command
from .errors import VapiApiError, bad_request, error_response, not_found
from .request_body import read_json_body
from .state import SandboxState


class ControlRoute:
    def __init__(self, state: SandboxState) -> None:
        self._state = state

    async def handle(self, request: web.Request) -> web.Response:
        try:
            return await self._control(request)
        except VapiApiError as error:
            return error_response(error)

    async def _control(self, request: web.Request) -> web.Response:
        call_id = request.match_info["call_id"]
        live = self._state.live.get(call_id)
        record = live.record if live is not None else self._state.book.get(call_id)
        if record is None:
            raise not_found(f"Call {call_id} not found.")
        body = await read_json_body(request)
        try:
            command = parse_command(body)
        except CommandError as exc:
            raise bad_request(str(exc)) from None
        if record.status is CallStatus.ENDED:
            reason = record.ended_reason.value if record.ended_reason else "unknown"
            raise VapiApiError(409, f"Call {call_id} has already ended ({reason}).")
        if live is None:
            raise VapiApiError(
                409, f"Call {call_id} is {record.status.value}: nothing is connected to it yet."
            )
        live.apply(command, from_control=True)
        return web.json_response({"status": "ok", "callId": call_id})
