"""Fishjam's REST API at the server root: rooms, peers, subscriptions, track forwarding and
the credentials check.

Paths, bodies and statuses follow the SDK's generated OpenAPI client. Every success body is
`{"data": ...}` (or empty for 204/200 without data) and every error `{"errors": "..."}`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from voicepanel.sandbox.fishjam import views
from voicepanel.sandbox.fishjam.errors import ApiError, BadRequest, NotFound, Unauthorized
from voicepanel.sandbox.fishjam.rest_input import (
    parse_peer_request,
    parse_room_config,
    parse_track_forwarding,
    parse_track_ids,
)
from voicepanel.sandbox.fishjam.state import FishjamState, Peer
from voicepanel.sandbox.fishjam.wire import Handler
from voicepanel.sandbox.http_input import InputRejected, query_text, read_json

log = logging.getLogger(__name__)

PEER_SOCKET_PATH = "/socket/peer/websocket"


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"errors": message}, status=status)


def data_response(data: Any, status: int = HTTPStatus.OK) -> web.Response:
    return web.json_response({"data": data}, status=status)


def fishjam_error_middleware(is_fishjam_path: Callable[[str], bool]) -> Middleware:
    """JSON error bodies for every Fishjam path, including aiohttp's own 404/405."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_fishjam_path(request.path):
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.message)
        except InputRejected as rejected:
            return error_response(rejected.status, rejected.message)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(exc.status, exc.reason)
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")

    return middleware


def authorized(request: web.Request, management_token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(errors="surrogateescape"), management_token.encode()
    )


def authorize(request: web.Request, management_token: str) -> None:
    if not authorized(request, management_token):
        raise Unauthorized("Invalid or missing management token")


class FishjamRest:
    """The REST handlers over one `FishjamState`."""

    def __init__(self, state: FishjamState, on_vapi_peer: Callable[[Peer], None]) -> None:
        self._state = state
        self._on_vapi_peer = on_vapi_peer

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/validate", self.validate)
        app.router.add_post("/room", self.create_room)
        app.router.add_get("/room", self.list_rooms)
        app.router.add_get("/room/{room_id}", self.get_room)
        app.router.add_delete("/room/{room_id}", self.delete_room)
        app.router.add_post("/room/{room_id}/peer", self.add_peer)
        app.router.add_delete("/room/{room_id}/peer/{peer_id}", self.delete_peer)
        app.router.add_post("/room/{room_id}/peer/{peer_id}/refresh_token", self.refresh_token)
        app.router.add_post("/room/{room_id}/peer/{peer_id}/subscribe_peer", self.subscribe_peer)
        app.router.add_post(
            "/room/{room_id}/peer/{peer_id}/subscribe_tracks", self.subscribe_tracks
        )
        app.router.add_post("/room/{room_id}/track_forwardings", self.forward_tracks)

    def _authorize(self, request: web.Request) -> None:
        authorize(request, self._state.management_token)

    # -- handlers ----------------------------------------------------------------------

    async def validate(self, request: web.Request) -> web.Response:
        # The SDK's check_credentials only recognises 404 as "bad credentials".
        if not authorized(request, self._state.management_token):
            raise NotFound("Invalid management token")
        return web.Response(status=HTTPStatus.OK)

    async def create_room(self, request: web.Request) -> web.Response:
        self._authorize(request)
        config = parse_room_config(await read_json(request))
        room = self._state.create_room(config)
        return data_response({"room": views.room_json(room)}, HTTPStatus.CREATED)

    async def list_rooms(self, request: web.Request) -> web.Response:
        self._authorize(request)
        return data_response([views.room_json(r) for r in self._state.rooms.values()])

    async def get_room(self, request: web.Request) -> web.Response:
        self._authorize(request)
        room = self._state.room(request.match_info["room_id"])
        return data_response(views.room_json(room))

    async def delete_room(self, request: web.Request) -> web.Response:
        self._authorize(request)
        await self._state.delete_room(request.match_info["room_id"])
        return web.Response(status=HTTPStatus.NO_CONTENT)

    async def add_peer(self, request: web.Request) -> web.Response:
        self._authorize(request)
        room_id = request.match_info["room_id"]
        self._state.room(room_id)
        spec = parse_peer_request(await read_json(request))
        peer, token = self._state.add_peer(
            room_id, spec.type, spec.subscribe_mode, spec.metadata, spec.output_rate, spec.vapi
        )
        if spec.vapi is not None:
            self._on_vapi_peer(peer)
        data = {
            "peer": views.peer_json(peer),
            "token": token,
            # An explicit scheme: without one the SDK assumes wss://, as for the cloud.
            "peer_websocket_url": f"ws://{request.host}{PEER_SOCKET_PATH}",
        }
        return data_response(data, HTTPStatus.CREATED)

    async def delete_peer(self, request: web.Request) -> web.Response:
        self._authorize(request)
        self._state.delete_peer(request.match_info["room_id"], request.match_info["peer_id"])
        return web.Response(status=HTTPStatus.NO_CONTENT)

    async def refresh_token(self, request: web.Request) -> web.Response:
        self._authorize(request)
        peer = self._state.peer(request.match_info["room_id"], request.match_info["peer_id"])
        return data_response({"token": self._state.issue_token(peer)}, HTTPStatus.CREATED)

    async def subscribe_peer(self, request: web.Request) -> web.Response:
        self._authorize(request)
        target = query_text(request, "peer_id")
        if not target:
            raise BadRequest("Query parameter peer_id is required")
        room_id, peer_id = request.match_info["room_id"], request.match_info["peer_id"]
        if target == peer_id:
            raise BadRequest("A peer cannot subscribe to itself")
        self._state.subscribe_peer(room_id, peer_id, target)
        return web.Response(status=HTTPStatus.OK)

    async def subscribe_tracks(self, request: web.Request) -> web.Response:
        self._authorize(request)
        room_id, peer_id = request.match_info["room_id"], request.match_info["peer_id"]
        self._state.peer(room_id, peer_id)
        track_ids = parse_track_ids(await read_json(request))
        self._state.subscribe_tracks(room_id, peer_id, track_ids)
        return web.Response(status=HTTPStatus.OK)

    async def forward_tracks(self, request: web.Request) -> web.Response:
        self._authorize(request)
        room_id = request.match_info["room_id"]
        self._state.room(room_id)
        composition_url = parse_track_forwarding(await read_json(request))
        self._state.forward_tracks(room_id, composition_url)
        return web.Response(status=HTTPStatus.CREATED)
