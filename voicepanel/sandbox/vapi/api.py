"""VAPI's REST API as the official SDKs use it: calls (create, get, list with its filters,
update, delete) and assistants (list, get), with the paths, status codes and JSON the `vapi`
SDKs expect.

Every route wants `Authorization: Bearer <api key>` (401 otherwise). `DELETE /call/{id}`
deletes the record only; a live call keeps running, as on VAPI, where it is no hang-up.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from .assistants import BUILTIN_CREATED_AT
from .call_request import parse_call_request
from .calls import CallRecord, CallStatus, CallUrls, EndedReason
from .errors import VapiApiError, bad_request, error_response, not_found
from .list_query import list_query
from .request_body import read_json_body
from .state import SandboxState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INVALID_KEY = (
    "Invalid Key. Hot tip, you may be using the private key instead of the public key, "
    "or vice versa."
)
_BUILTIN_MOMENT = datetime.fromisoformat(BUILTIN_CREATED_AT.replace("Z", "+00:00"))


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
            web.patch(f"{p}/call/{{call_id}}", self._guard(self.update_call)),
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
        body = await read_json_body(request)
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
        wanted = list_query(query)
        calls = self._state.book.newest_first()
        if "id" in query:
            calls = [c for c in calls if c.id == query["id"]]
        if "assistantId" in query:
            calls = [c for c in calls if c.request.assistant_id == query["assistantId"]]
        if "phoneNumberId" in query:
            calls = []  # websocket calls have no phone number
        chosen = wanted.select(
            calls, lambda c: {"createdAt": c.created_at, "updatedAt": c.updated_at}
        )
        return web.json_response([c.to_json() for c in chosen])

    async def get_call(self, request: web.Request) -> web.Response:
        return web.json_response(self._call(request).to_json())

    async def update_call(self, request: web.Request) -> web.Response:
        call = self._call(request)
        body = await read_json_body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        unknown = [f"property {key} should not exist" for key in body if key != "name"]
        if unknown:
            raise VapiApiError(400, unknown)
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise VapiApiError(400, ["name must be a string"])
        call.rename(name)
        return web.json_response(call.to_json())

    async def delete_call(self, request: web.Request) -> web.Response:
        """Deletes the record (never hangs up); with `ids` in the body, those calls too."""
        body = await read_json_body(request)
        ids = body.get("ids") if isinstance(body, dict) else None
        if body is not None and (
            not isinstance(body, dict)
            or (
                ids is not None
                and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids))
            )
        ):
            raise bad_request('The body must be {} or {"ids": [call ids]}.')
        book = self._state.book
        deleted = [book.delete(i) for i in ids or []]
        found = book.delete(request.match_info["call_id"]) or next((d for d in deleted if d), None)
        if found is None:
            raise not_found(f"Call {request.match_info['call_id']} not found.")
        return web.json_response(found.to_json())

    async def list_assistants(self, request: web.Request) -> web.Response:
        wanted = list_query(request.query)
        moments = {"createdAt": _BUILTIN_MOMENT, "updatedAt": _BUILTIN_MOMENT}
        chosen = wanted.select(self._state.assistants.values(), lambda _: moments)
        return web.json_response(chosen)

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
