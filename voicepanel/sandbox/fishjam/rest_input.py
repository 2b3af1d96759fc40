"""Validation of REST request bodies into state values; every problem is a 400 with a reason.

Unknown fields are ignored, as the cloud does. (Bodies reach here already parsed by
`voicepanel.sandbox.http_input`, which refuses what is not sane JSON.)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from voicepanel.sandbox.fishjam.errors import BadRequest
from voicepanel.sandbox.fishjam.notifications import MAX_METADATA_BYTES
from voicepanel.sandbox.fishjam.state import PeerType, RoomConfig, SubscribeMode, VapiOptions

ROOM_TYPES = (
    "conference",
    "audio_only",
    "livestream",
    "full_feature",
    "broadcaster",
    "audio_only_livestream",
)
VIDEO_CODECS = ("h264", "vp8")
AGENT_SAMPLE_RATES = (16000, 24000)
# An upper bound on maxPeers so a typo (1e9) is refused rather than silently accepted.
MAX_PEERS_LIMIT = 10_000


@dataclass(frozen=True)
class PeerRequest:
    type: PeerType
    subscribe_mode: SubscribeMode
    metadata: dict[str, Any]
    output_rate: int = 16000
    vapi: VapiOptions | None = None


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return value


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be a boolean")
    return value


def _choice(body: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(key)
    if value is None:
        return default
    if value not in choices:
        raise BadRequest(f"{key} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{key} must be a non-empty string")
    return value


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be a string or null")
    return value


def _http_url(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise BadRequest(f"{key} must be an http(s) URL" + ("" if required else " or null"))
    return value


def _metadata(value: Any, what: str) -> dict[str, Any]:
    metadata = _object(value, what)
    size = len(json.dumps(metadata).encode())
    if size > MAX_METADATA_BYTES:
        raise BadRequest(f"{what} is {size} bytes of JSON; the limit is {MAX_METADATA_BYTES}")
    return metadata


def parse_room_config(body: Any) -> RoomConfig:
    body = _object(body, "Room configuration")
    max_peers = body.get("maxPeers")
    if max_peers is None:
        max_peers = 0
    if isinstance(max_peers, bool) or not isinstance(max_peers, int):
        raise BadRequest("maxPeers must be an integer or null")
    if max_peers < 0:
        raise BadRequest("maxPeers must not be negative")
    if max_peers > MAX_PEERS_LIMIT:
        raise BadRequest(f"maxPeers must be at most {MAX_PEERS_LIMIT}")
    webhook_url = _http_url(body, "webhookUrl", required=False)
    return RoomConfig(
        max_peers=max_peers,
        video_codec=_choice(body, "videoCodec", VIDEO_CODECS, "h264"),
        webhook_url=webhook_url,
        room_type=_choice(body, "roomType", ROOM_TYPES, "conference"),
        public=_bool(body, "public", False),
        batch_webhook_notifications=_bool(body, "batchWebhookNotifications", False),
    )


def parse_peer_request(body: Any) -> PeerRequest:
    body = _object(body, "Peer configuration")
    type_name = body.get("type")
    if type_name not in tuple(PeerType):
        raise BadRequest(f"Invalid peer type {type_name!r}; use webrtc, agent or vapi")
    peer_type = PeerType(type_name)
    options = _object(body.get("options"), "options")
    mode = SubscribeMode(_choice(options, "subscribeMode", tuple(SubscribeMode), "auto"))
    if peer_type is PeerType.WEBRTC:
        metadata = _metadata(options.get("metadata"), "metadata")
        return PeerRequest(peer_type, mode, metadata)
    if peer_type is PeerType.AGENT:
        output = _object(options.get("output"), "output")
        _choice(output, "audioFormat", ("pcm16",), "pcm16")
        rate = output.get("audioSampleRate", 16000)
        if isinstance(rate, bool) or rate not in AGENT_SAMPLE_RATES:
            raise BadRequest("audioSampleRate must be 16000 or 24000")
        return PeerRequest(peer_type, mode, {}, output_rate=int(rate))
    vapi = VapiOptions(
        api_key=_string(options, "apiKey"),
        call_id=_string(options, "callId"),
        auto_close=_bool(options, "autoClose", False),
    )
    return PeerRequest(peer_type, mode, {}, vapi=vapi)


def parse_track_ids(body: Any) -> list[str]:
    body = _object(body, "Request body")
    track_ids = body.get("track_ids")
    if not isinstance(track_ids, list) or not all(isinstance(t, str) for t in track_ids):
        raise BadRequest("track_ids must be a list of strings")
    return track_ids


def parse_track_forwarding(body: Any) -> str:
    """The composition URL of a track forwarding request."""
    body = _object(body, "Track forwarding")
    _choice(body, "selector", ("all",), "all")
    url = _http_url(body, "compositionURL", required=True)
    assert url is not None
    return url


@dataclass(frozen=True)
class MoqAccessRequest:
    publish_path: str | None
    subscribe_path: str | None
    ttl_s: int


MOQ_DEFAULT_TTL_S = 3600
MOQ_MAX_TTL_S = 7 * 24 * 3600


def parse_moq_access(body: Any) -> MoqAccessRequest:
    body = _object(body, "MoQ access configuration")
    ttl = body.get("ttl")
    if ttl is None:
        ttl = MOQ_DEFAULT_TTL_S
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise BadRequest("ttl must be a whole number of seconds or null")
    if not 1 <= ttl <= MOQ_MAX_TTL_S:
        raise BadRequest(f"ttl must be between 1 and {MOQ_MAX_TTL_S} seconds")
    return MoqAccessRequest(
        _optional_string(body, "publishPath"), _optional_string(body, "subscribePath"), ttl
    )


@dataclass(frozen=True)
class RecordingRequest:
    source: dict[str, Any]
    metadata: dict[str, Any] | None


def parse_recording_config(body: Any, *, template: bool = False) -> RecordingRequest:
    """A recording's source and metadata; `template` when a template bundle came with it."""
    body = _object(body, "Recording configuration")
    source = _object(body.get("source"), "source")
    url = _http_url(source, "compositionURL", required=True)
    clean: dict[str, Any] = {"compositionURL": url}
    if template:
        clean["audio"] = _bool(source, "audio", True)
        resolution = source.get("resolution")
        if resolution is not None:
            clean["resolution"] = _resolution(resolution)
    else:
        clean["outputId"] = _string(source, "outputId")
        ratio = source.get("scaleRatio", 1.0)
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not ratio > 0:
            raise BadRequest("scaleRatio must be a number above 0")
        if not math.isfinite(ratio) or ratio > 16:
            raise BadRequest("scaleRatio must be at most 16")
        clean["scaleRatio"] = ratio
    metadata = body.get("metadata")
    return RecordingRequest(
        clean, None if metadata is None else _metadata(metadata, "Recording metadata")
    )


MAX_RESOLUTION = 7680


def _resolution(value: Any) -> dict[str, int]:
    resolution = _object(value, "resolution")
    out = {}
    for key in ("width", "height"):
        side = resolution.get(key)
        if isinstance(side, bool) or not isinstance(side, int) or not 1 <= side <= MAX_RESOLUTION:
            raise BadRequest(f"resolution.{key} must be a whole number from 1 to {MAX_RESOLUTION}")
        out[key] = side
    return out
