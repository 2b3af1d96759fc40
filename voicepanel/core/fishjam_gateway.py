"""FishjamGateway: the panel's only door to Fishjam's REST API.

Runs the blocking ``fishjam.FishjamClient`` in worker threads, turns its OpenAPI models into
frozen values (RoomInfo, PeerInfo, TrackInfo) and every failure into a VoicePanelError.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlparse

import fishjam
import httpx
from fishjam import errors as fj_errors
from fishjam.agent import Agent

# The SDK's own module re-exports the OpenAPI pieces it uses. Importing them from here rather
# than from fishjam._fishjam_openapi_client keeps mypy from treating the untyped SDK as a
# partial package (that subpackage alone ships py.typed).
from fishjam.api import _fishjam_client as _sdk_rest
from fishjam.utils import get_fishjam_url

from voicepanel.core.errors_map import FishjamContext, fishjam_error, refusal
from voicepanel.core.redact import REDACTOR

ROOM_TYPES = (
    "conference",
    "audio_only",
    "livestream",
    "full_feature",
    "broadcaster",
    "audio_only_livestream",
)
VIDEO_CODECS = ("h264", "vp8")
SUBSCRIBE_MODES = ("auto", "manual")
AGENT_SAMPLE_RATES = (16000, 24000)

T = TypeVar("T")
REQUEST_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


@dataclass(frozen=True)
class RoomSpec:
    """What the user asks for when creating a room (every RoomOptions field)."""

    max_peers: int | None = None
    video_codec: str | None = None  # "h264" | "vp8" | None
    webhook_url: str | None = None
    room_type: str = "conference"
    public: bool = False
    batch_webhook_notifications: bool = False

    def validate(self) -> None:
        """Raise VoicePanelError, before anything is sent, when a field cannot work."""
        action = "Could not create the room."
        if self.max_peers is not None and (
            isinstance(self.max_peers, bool)
            or not isinstance(self.max_peers, int)
            or self.max_peers < 0
        ):
            raise refusal(
                f"{action} The peer limit must be a whole number of 0 or more"
                f" (got {self.max_peers!r}).",
                "Enter 0 or leave it empty for no limit.",
            )
        if self.room_type not in ROOM_TYPES:
            raise refusal(
                f"{action} {self.room_type!r} is not a Fishjam room type.",
                "Choose one of: " + ", ".join(ROOM_TYPES) + ".",
            )
        if self.video_codec is not None and self.video_codec not in VIDEO_CODECS:
            raise refusal(
                f"{action} {self.video_codec!r} is not a video codec Fishjam supports.",
                "Choose h264 or vp8, or leave it empty.",
            )
        if self.webhook_url:
            parsed = urlparse(self.webhook_url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise refusal(
                    f"{action} The webhook address {self.webhook_url!r} is not an http(s) URL.",
                    "Enter a full address such as https://example.com/fishjam, or leave it empty.",
                )


@dataclass(frozen=True)
class TrackInfo:
    id: str
    type: str  # "audio" | "video"
    metadata: Any


@dataclass(frozen=True)
class PeerInfo:
    id: str
    type: str  # "webrtc" | "agent" | "vapi"
    status: str  # "connected" | "disconnected"
    subscribe_mode: str  # "auto" | "manual"
    metadata: Any
    tracks: tuple[TrackInfo, ...]
    subscriptions: Any  # {"peers": [...], "tracks": [...]} as the server gives it


@dataclass(frozen=True)
class RoomConfigInfo:
    max_peers: int | None
    video_codec: str | None
    room_type: str
    webhook_url: str | None
    public: bool
    batch_webhook_notifications: bool


@dataclass(frozen=True)
class RoomInfo:
    id: str
    config: RoomConfigInfo
    peers: tuple[PeerInfo, ...]


# --- conversion from the SDK's OpenAPI models -------------------------------------------


def _unset(value: Any) -> Any:
    return None if isinstance(value, _sdk_rest.Unset) else value


def _enum_text(value: Any, default: str) -> str:
    value = _unset(value)
    if value is None:
        return default
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _plain(value: Any) -> Any:
    """OpenAPI model -> plain JSON-like value (dicts, lists, str, numbers)."""
    value = _unset(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not isinstance(v, _sdk_rest.Unset)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return _plain(to_dict())
    return str(value)


def _metadata(value: Any) -> Any:
    plain = _plain(value)
    if isinstance(plain, str):
        try:
            return json.loads(plain)
        except ValueError:
            return plain
    return plain


def track_info(track: Any) -> TrackInfo:
    return TrackInfo(
        id=str(_unset(getattr(track, "id", "")) or ""),
        type=_enum_text(getattr(track, "type_", None), "audio"),
        metadata=_metadata(getattr(track, "metadata", None)),
    )


def peer_info(peer: Any) -> PeerInfo:
    tracks = _unset(getattr(peer, "tracks", None)) or []
    return PeerInfo(
        id=str(peer.id),
        type=_enum_text(getattr(peer, "type_", None), "webrtc"),
        status=_enum_text(getattr(peer, "status", None), "disconnected"),
        subscribe_mode=_enum_text(getattr(peer, "subscribe_mode", None), "auto"),
        metadata=_metadata(getattr(peer, "metadata", None)),
        tracks=tuple(track_info(t) for t in tracks),
        subscriptions=_plain(getattr(peer, "subscriptions", None)),
    )


def room_config_info(config: Any) -> RoomConfigInfo:
    max_peers = _unset(getattr(config, "max_peers", None))
    codec = _unset(getattr(config, "video_codec", None))
    return RoomConfigInfo(
        max_peers=int(max_peers) if isinstance(max_peers, int) else None,
        video_codec=_enum_text(codec, "") or None,
        room_type=_enum_text(getattr(config, "room_type", None), "conference"),
        webhook_url=_unset(getattr(config, "webhook_url", None)),
        public=bool(_unset(getattr(config, "public", None)) or False),
        batch_webhook_notifications=bool(
            _unset(getattr(config, "batch_webhook_notifications", None)) or False
        ),
    )


def room_info(room: Any) -> RoomInfo:
    peers = _unset(getattr(room, "peers", None)) or []
    return RoomInfo(
        id=str(room.id),
        config=room_config_info(room.config),
        peers=tuple(peer_info(p) for p in peers),
    )


# --- the gateway ------------------------------------------------------------------------


class FishjamGateway:
    """Async facade over FishjamClient; every method raises only VoicePanelError."""

    def __init__(self, fishjam_id: str, management_token: str) -> None:
        REDACTOR.add(management_token)
        self._fishjam_id = fishjam_id
        self._token = management_token
        try:
            self.fishjam_url: str = get_fishjam_url(fishjam_id)
            client = fishjam.FishjamClient(fishjam_id, management_token)
            # The SDK's HTTP client has no timeout at all; a stuck server would hang a worker.
            client.client = client.client.with_timeout(REQUEST_TIMEOUT)
            self._client: fishjam.FishjamClient | None = client
        except Exception as exc:  # noqa: BLE001 - reported on first use, not at construction
            self.fishjam_url = fishjam_id
            self._client = None
            self._init_error: BaseException | None = exc
        else:
            self._init_error = None

    async def close(self) -> None:
        """Close the pooled HTTP connections (the gateway must not be used afterwards)."""
        if self._client is not None:
            await asyncio.to_thread(self._client.client.get_httpx_client().close)

    def _context(
        self,
        action: str,
        room_id: str | None = None,
        peer_id: str | None = None,
        adds_peer: bool = False,
    ) -> FishjamContext:
        return FishjamContext(
            action=action,
            url=self.fishjam_url,
            room_id=room_id,
            peer_id=peer_id,
            adds_peer=adds_peer,
        )

    async def _call(self, ctx: FishjamContext, fn: Callable[[fishjam.FishjamClient], T]) -> T:
        if self._client is None:
            assert self._init_error is not None
            raise fishjam_error(self._init_error, ctx) from self._init_error
        client = self._client
        try:
            return await asyncio.to_thread(fn, client)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a readable error
            raise fishjam_error(exc, ctx) from exc

    async def check_credentials(self) -> None:
        def check(client: fishjam.FishjamClient) -> None:
            # The SDK only fails on 404; a server answering 401 must fail too.
            response = _sdk_rest.credentials_validate_credentials.sync_detailed(
                client=client.client
            )
            if response.status_code in (401, 404):
                raise fj_errors.InvalidFishjamCredentialsError("Invalid Fishjam credentials")
            if response.status_code >= 400:
                text = response.content.decode(errors="replace")
                with contextlib.suppress(ValueError, AttributeError):
                    text = str(json.loads(text).get("errors", text))
                raise fj_errors.error_for_status(response.status_code, text)

        await self._call(self._context("Could not connect to Fishjam."), check)

    async def list_rooms(self) -> list[RoomInfo]:
        return await self._call(
            self._context("Could not list the rooms."),
            lambda c: [room_info(r) for r in c.get_all_rooms()],
        )

    async def get_room(self, room_id: str) -> RoomInfo:
        return await self._call(
            self._context(f"Could not read room {room_id}.", room_id),
            lambda c: room_info(c.get_room(room_id)),
        )

    async def create_room(self, spec: RoomSpec) -> RoomInfo:
        spec.validate()
        options = fishjam.RoomOptions(
            max_peers=spec.max_peers,
            video_codec=spec.video_codec,  # type: ignore[arg-type]  # validated above
            webhook_url=spec.webhook_url or None,
            room_type=spec.room_type,  # type: ignore[arg-type]  # validated above
            public=spec.public,
            batch_webhook_notifications=spec.batch_webhook_notifications,
        )
        return await self._call(
            self._context("Could not create the room."),
            lambda c: room_info(c.create_room(options)),
        )

    async def delete_room(self, room_id: str) -> None:
        await self._call(
            self._context(f"Could not delete room {room_id}.", room_id),
            lambda c: c.delete_room(room_id),
        )

    async def create_peer(
        self,
        room_id: str,
        metadata: dict[str, Any] | None = None,
        subscribe_mode: str = "auto",
    ) -> tuple[PeerInfo, str]:
        action = f"Could not add a peer to room {room_id}."
        _check_subscribe_mode(action, subscribe_mode)
        if metadata is not None and not isinstance(metadata, dict):
            raise refusal(
                f"{action} Peer metadata must be a JSON object.",
                'Enter metadata like {"name": "tester"}, or leave it empty.',
            )
        options = fishjam.PeerOptions(
            metadata=metadata,
            subscribe_mode=subscribe_mode,  # type: ignore[arg-type]  # checked above
        )

        def create(client: fishjam.FishjamClient) -> tuple[PeerInfo, str]:
            peer, token = client.create_peer(room_id, options)
            return peer_info(peer), str(token)

        peer, token = await self._call(self._context(action, room_id, adds_peer=True), create)
        REDACTOR.add(token)
        return peer, token

    async def delete_peer(self, room_id: str, peer_id: str) -> None:
        await self._call(
            self._context(f"Could not remove peer {peer_id}.", room_id, peer_id),
            lambda c: c.delete_peer(room_id, peer_id),
        )

    async def refresh_peer_token(self, room_id: str, peer_id: str) -> str:
        token = await self._call(
            self._context(f"Could not refresh the token of peer {peer_id}.", room_id, peer_id),
            lambda c: c.refresh_peer_token(room_id, peer_id),
        )
        REDACTOR.add(token)
        return str(token)

    async def subscribe_peer(self, room_id: str, peer_id: str, target_peer_id: str) -> None:
        await self._call(
            self._context(
                f"Could not subscribe peer {peer_id} to peer {target_peer_id}.", room_id, peer_id
            ),
            lambda c: c.subscribe_peer(room_id, peer_id, target_peer_id),
        )

    async def subscribe_tracks(self, room_id: str, peer_id: str, track_ids: list[str]) -> None:
        await self._call(
            self._context(f"Could not subscribe peer {peer_id} to the tracks.", room_id, peer_id),
            lambda c: c.subscribe_tracks(room_id, peer_id, list(track_ids)),
        )

    async def create_agent(
        self, room_id: str, sample_rate: int = 16000, subscribe_mode: str = "auto"
    ) -> Agent:
        action = f"Could not add an agent to room {room_id}."
        _check_subscribe_mode(action, subscribe_mode)
        if sample_rate not in AGENT_SAMPLE_RATES:
            raise refusal(
                f"{action} Agents hear audio at 16000 or 24000 Hz, not {sample_rate}.",
                "Choose 16000 or 24000 Hz.",
            )
        options = fishjam.AgentOptions(
            output=fishjam.AgentOutputOptions(audio_sample_rate=sample_rate),  # type: ignore[arg-type]
            subscribe_mode=subscribe_mode,  # type: ignore[arg-type]
        )
        agent = await self._call(
            self._context(action, room_id, adds_peer=True),
            lambda c: c.create_agent(room_id, options),
        )
        REDACTOR.add(getattr(agent, "_token", None))
        return agent

    async def create_vapi_peer(
        self,
        room_id: str,
        vapi_api_key: str,
        call_id: str,
        auto_close: bool = True,
        subscribe_mode: str = "auto",
    ) -> PeerInfo:
        REDACTOR.add(vapi_api_key)
        action = f"Could not add the VAPI assistant to room {room_id}."
        _check_subscribe_mode(action, subscribe_mode)
        if not call_id:
            raise refusal(f"{action} No VAPI call was given.", "Start a VAPI call first.")
        options = fishjam.PeerOptionsVapi(
            api_key=vapi_api_key,
            call_id=call_id,
            auto_close=auto_close,
            subscribe_mode=_sdk_rest.SubscribeMode(subscribe_mode),
        )
        return await self._call(
            self._context(action, room_id, adds_peer=True),
            lambda c: peer_info(c.create_vapi_agent(room_id, options)),
        )


def _check_subscribe_mode(action: str, subscribe_mode: str) -> None:
    if subscribe_mode not in SUBSCRIBE_MODES:
        raise refusal(
            f"{action} {subscribe_mode!r} is not a subscribe mode.",
            "Choose auto (hear everyone) or manual (hear only chosen peers).",
        )
