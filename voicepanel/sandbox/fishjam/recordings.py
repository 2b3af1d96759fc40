"""Recordings (`/recordings`): the cloud's lifecycle and shapes, with no media.

A recording is created `active` (from a composition output, or from a template bundle sent
as multipart), stays `active` when stopped until it is finalised a moment later, then is
`finished`. The sandbox renders and stores nothing, so a recording never becomes
`available` and its `files` stay empty. Each status change is a `RecordingStatusChanged`
server notification. Deleting an active recording is a conflict (409); deleting an unknown
one does nothing (204), as on the cloud.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from voicepanel.sandbox.fishjam import notifications as n
from voicepanel.sandbox.fishjam.errors import BadRequest, Conflict, NotFound
from voicepanel.sandbox.fishjam.rest import authorize, data_response
from voicepanel.sandbox.fishjam.rest_input import parse_recording_config
from voicepanel.sandbox.fishjam.state import FishjamState
from voicepanel.sandbox.http_input import parse_json, query_text, read_form_parts, read_json

STATUSES = ("active", "finished", "available", "failed")
# How long a stopped recording stays active before it is finished.
FINALIZE_S = 0.2
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 128 * 1024
_METADATA_KEY = re.compile(r"^metadata((?:\[[^\[\]]*\])+)$")


@dataclass
class Recording:
    id: str
    source: dict[str, Any]
    metadata: dict[str, Any] | None
    status: str = "active"
    stopping: bool = False
    files: list[dict[str, str]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "status": self.status,
            "files": self.files,
            "metadata": self.metadata,
        }


class RecordingsRest:
    """The recordings of one sandbox, and their REST routes."""

    def __init__(self, state: FishjamState) -> None:
        self._state = state
        self._recordings: dict[str, Recording] = {}
        self._finalizing: dict[str, asyncio.TimerHandle] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/recordings", self.create)
        app.router.add_get("/recordings", self.list)
        app.router.add_get("/recordings/{recording_id}", self.get)
        app.router.add_post("/recordings/{recording_id}/stop", self.stop)
        app.router.add_delete("/recordings/{recording_id}", self.delete)

    def close(self) -> None:
        for handle in self._finalizing.values():
            handle.cancel()
        self._finalizing.clear()

    async def create(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        if request.content_type.startswith("multipart/"):
            parts = await read_form_parts(
                request, {"config": MAX_CONFIG_BYTES, "template": MAX_TEMPLATE_BYTES}
            )
            if not parts.get("template"):
                raise BadRequest("A template recording needs a non-empty template part")
            config = parse_json(parts.get("config", b""))
            spec = parse_recording_config(config, template=True)
        else:
            spec = parse_recording_config(await read_json(request))
        recording = Recording(str(uuid.uuid4()), spec.source, spec.metadata)
        self._recordings[recording.id] = recording
        self._announce(recording)
        return data_response(recording.json(), HTTPStatus.CREATED)

    async def list(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        status = query_text(request, "status")
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        wanted = _metadata_filters(request)
        found = [
            r.json()
            for r in self._recordings.values()
            if (status is None or r.status == status) and _matches(r.metadata, wanted)
        ]
        return data_response(found)

    async def get(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        return data_response(self._recording(request).json())

    async def stop(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        recording = self._recording(request)
        if recording.status == "active" and not recording.stopping:
            recording.stopping = True
            loop = asyncio.get_running_loop()
            self._finalizing[recording.id] = loop.call_later(FINALIZE_S, self._finish, recording)
        return data_response(recording.json())

    async def delete(self, request: web.Request) -> web.Response:
        authorize(request, self._state.management_token)
        recording = self._recordings.get(request.match_info["recording_id"])
        if recording is not None:
            if recording.status == "active":
                raise Conflict(f"Recording {recording.id} is active; stop it first")
            del self._recordings[recording.id]
        return web.Response(status=HTTPStatus.NO_CONTENT)

    def _recording(self, request: web.Request) -> Recording:
        recording_id = request.match_info["recording_id"]
        recording = self._recordings.get(recording_id)
        if recording is None:
            raise NotFound(f"Recording {recording_id} does not exist")
        return recording

    def _finish(self, recording: Recording) -> None:
        self._finalizing.pop(recording.id, None)
        recording.status = "finished"
        self._announce(recording)

    def _announce(self, recording: Recording) -> None:
        message = n.recording_status_changed(recording.id, recording.status, recording.metadata)
        self._state.bus.publish(n.NO_ROOM, message)


def _metadata_filters(request: web.Request) -> list[tuple[list[str], str]]:
    """`metadata[a][b]=value` query parameters as ([a, b], value) pairs."""
    filters = []
    for key, value in request.query.items():
        match = _METADATA_KEY.match(key)
        if match:
            filters.append((match.group(1)[1:-1].split("]["), value))
    return filters


def _matches(metadata: dict[str, Any] | None, filters: list[tuple[list[str], str]]) -> bool:
    for path, wanted in filters:
        value: Any = metadata
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return False
            value = value[key]
        # The API compares values as JSON text; a string also matches its bare text.
        if value != wanted and json.dumps(value) != wanted:
            return False
    return True
