"""The JSON shapes Fishjam's REST API answers with (as the SDK's OpenAPI models parse them)."""

from __future__ import annotations

from typing import Any

from voicepanel.sandbox.fishjam.state import Peer, Room, RoomConfig, Track


def config_json(config: RoomConfig) -> dict[str, Any]:
    return {
        "maxPeers": config.max_peers,
        "videoCodec": config.video_codec,
        "webhookUrl": config.webhook_url,
        "roomType": config.room_type,
        "public": config.public,
        "batchWebhookNotifications": config.batch_webhook_notifications,
    }


def track_json(track: Track) -> dict[str, Any]:
    return {"id": track.id, "type": track.type, "metadata": track.metadata}


def peer_json(peer: Peer) -> dict[str, Any]:
    return {
        "id": peer.id,
        "type": str(peer.type),
        "status": str(peer.status),
        "tracks": [track_json(t) for t in peer.tracks.values()],
        "metadata": peer.full_metadata,
        "subscribeMode": str(peer.subscribe_mode),
        "subscriptions": {
            "peers": list(peer.subscribed_peers),
            "tracks": list(peer.subscribed_tracks),
        },
    }


def room_json(room: Room) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": room.id,
        "config": config_json(room.config),
        "peers": [peer_json(p) for p in room.peers.values()],
    }
    if room.composition_url is not None:
        # No media is forwarded in the sandbox, so no peer has become a composition input.
        data["compositionInfo"] = {"compositionUrl": room.composition_url, "forwardings": []}
    return data
