"""Livestream viewer and streamer tokens, and MoQ relay access: token and shape only.

The sandbox has no WHIP/WHEP endpoint and no MoQ relay, so nothing can stream with these
tokens; they are issued with the cloud's paths, status codes and JSON shapes so that code
which creates them works offline. Livestream tokens exist only for livestream rooms (400
otherwise, as the cloud answers).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from http import HTTPStatus
from typing import Any

from aiohttp import web

from voicepanel.sandbox.fishjam.errors import BadRequest
from voicepanel.sandbox.fishjam.rest import authorize
from voicepanel.sandbox.fishjam.rest_input import parse_moq_access
from voicepanel.sandbox.fishjam.state import FishjamState
from voicepanel.sandbox.http_input import read_json

LIVESTREAM_ROOM_TYPES = ("livestream", "audio_only_livestream")
MOQ_PATH = "/moq"


class StreamingRest:
    """`POST /room/{id}/viewer`, `POST /room/{id}/streamer` and `POST /moq/access`."""

    def __init__(self, state: FishjamState) -> None:
        self._state = state
        self._moq_key = secrets.token_bytes(32)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/room/{room_id}/viewer", self.viewer_token)
        app.router.add_post("/room/{room_id}/streamer", self.streamer_token)
        app.router.add_post("/moq/access", self.moq_access)

    async def viewer_token(self, request: web.Request) -> web.Response:
        return self._livestream_token(request, "viewer")

    async def streamer_token(self, request: web.Request) -> web.Response:
        return self._livestream_token(request, "streamer")

    def _livestream_token(self, request: web.Request, role: str) -> web.Response:
        authorize(request, self._state.management_token)
        room = self._state.room(request.match_info["room_id"])
        if room.config.room_type not in LIVESTREAM_ROOM_TYPES:
            raise BadRequest(
                f"Room {room.id} is a {room.config.room_type} room; {role} tokens are only "
                f"for {' or '.join(LIVESTREAM_ROOM_TYPES)} rooms"
            )
        # Unlike most of the API, these answers are not wrapped in {"data": ...}.
        return web.json_response({"token": secrets.token_urlsafe(24)}, status=HTTPStatus.CREATED)

    async def moq_access(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        access = parse_moq_access(await read_json(request))
        now = int(time.time())
        claims: dict[str, Any] = {"iat": now, "exp": now + access.ttl_s}
        if access.publish_path is not None:
            claims["publish"] = access.publish_path
        if access.subscribe_path is not None:
            claims["subscribe"] = access.subscribe_path
        token = _jwt(claims, self._moq_key)
        url = f"{request.scheme}://{request.host}{MOQ_PATH}?jwt={token}"
        return web.json_response({"connection_url": url, "token": token})


def _jwt(claims: dict[str, Any], key: bytes) -> str:
    """A compact HS256 JSON Web Token, the form the cloud's MoQ tokens take."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = b64(hmac.new(key, f"{header}.{payload}".encode(), "sha256").digest())
    return f"{header}.{payload}.{signature}"
