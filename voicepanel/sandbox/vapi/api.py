"""VAPI's REST API, as far as the panel uses it: calls (create, get, list, delete) and
assistants (list, get), with the paths, status codes and JSON the `vapi` SDK expects.

Every route wants `Authorization: Bearer <api key>` (401 otherwise). `DELETE /call/{id}`
deletes the record only; a live call keeps running, as on VAPI, where it is no hang-up.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from .call_request import parse_call_request
from .calls import CallRecord, CallStatus, CallUrls, EndedReason
from .errors import VapiApiError, bad_request, error_response, not_found
from .state import SandboxState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INVALID_KEY = (
    "Invalid Key. Hot tip, you may be using the private key instead of the public key, "
    "or vice versa."
)
DEFAULT_LIMIT = 100


class RestApi:
    def __init__(self, state: SandboxState, prefix: str) -> None:
        self._state = state
        self._prefix = prefix

    def routes(self) -> list[web.RouteDef]:
        p = self._prefix
        return [
            web.post(f"{p}/call", self._guard(self.create_call)),
            web.get(f"{p}/call", self._guard(self.list_calls)),
            web.get(f"{p}/call/{{call_id}}", self._guard(self.get_call)),
            web.delete(f"{p}/call/{{call_id}}", self._guard(self.delete_call)),
            web.get(f"{p}/assistant", self._guard(self.list_assistants)),
            web.get(f"{p}/assistant/{{assistant_id}}", self._guard(self.get_assistant)),
        ]

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                self._authenticate(request)
                return await handler(request)
            except VapiApiError as error:
                return error_response(error)

        return guarded

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self._state.api_key.encode()
        )
        if not ok:
            raise VapiApiError(401, INVALID_KEY)

    async def create_call(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"The body is not valid JSON: {exc}.") from None
        state = self._state
        call_request = parse_call_request(body, state.assistants, state.timing)
        call_id = str(uuid.uuid4())
        call = CallRecord(id=call_id, request=call_request, urls=self._urls_for(request, call_id))
        state.book.add(call)
        state.events_for(call).emit({"type": "status-update", "status": CallStatus.QUEUED.value})
        self._expire_if_never_connected(call)
        return web.json_response(call.to_json(), status=201)

    async def list_calls(self, request: web.Request) -> web.Response:
        query = request.query
        calls = self._state.book.query(
            limit=_limit(query.get("limit")),
            call_id=query.get("id"),
            assistant_id=query.get("assistantId"),
        )
        return web.json_response([c.to_json() for c in calls])

    async def get_call(self, request: web.Request) -> web.Response:
        return web.json_response(self._call(request).to_json())

    async def delete_call(self, request: web.Request) -> web.Response:
        call = self._call(request)
        self._state.book.delete(call.id)
        return web.json_response(call.to_json())

    async def list_assistants(self, request: web.Request) -> web.Response:
        limit = _limit(request.query.get("limit"))
        return web.json_response(list(self._state.assistants.values())[:limit])

    async def get_assistant(self, request: web.Request) -> web.Response:
        assistant_id = request.match_info["assistant_id"]
        assistant = self._state.assistants.get(assistant_id)
        if assistant is None:
            raise not_found(f"Assistant {assistant_id} not found.")
        return web.json_response(assistant)

    def _call(self, request: web.Request) -> CallRecord:
        call_id = request.match_info["call_id"]
        call = self._state.book.get(call_id)
        if call is None:
            raise not_found(f"Call {call_id} not found.")
        return call

    def _urls_for(self, request: web.Request, call_id: str) -> CallUrls:
        # The host the client used is the one it can reach us on.
        secure = request.scheme == "https"
        base = f"{request.host}{self._prefix}/call/{call_id}"
        ws_scheme, http_scheme = ("wss", "https") if secure else ("ws", "http")
        return CallUrls(
            websocket_call_url=f"{ws_scheme}://{base}/transport",
            control_url=f"{http_scheme}://{base}/control",
            listen_url=f"{ws_scheme}://{base}/listen",
        )

    def _expire_if_never_connected(self, call: CallRecord) -> None:
        state = self._state

        def expire() -> None:
            state.expiries.pop(call.id, None)
            if call.status is CallStatus.QUEUED:
                state.end_queued(call, EndedReason.TRANSPORT_NEVER_CONNECTED)

        handle = asyncio.get_running_loop().call_later(state.queued_timeout_s, expire)
        state.expiries[call.id] = handle


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = float(raw)  # the SDK sends limit as a float, e.g. "10.0"
    except ValueError:
        raise bad_request(f"limit must be a number, not {raw!r}.") from None
    if value < 0 or value != value:
        raise bad_request(f"limit must not be negative, not {raw!r}.")
    return int(value)
