"""Peer and track metadata as the cloud places and bounds it.

Metadata given when a peer is created is the peer's *server* metadata, in REST and in
notifications. Metadata is bounded (64 KiB of JSON) on REST and on the agent socket, so one
peer cannot make notifications that other clients refuse as too big.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import ClientSession
from fishjam import FishjamClient, PeerOptions
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam.errors import BadRequestError
from fishjam_helpers import WAIT_S, NotificationLog
from websockets import ConnectionClosed

from voicepanel.sandbox.fishjam.notifications import MAX_METADATA_BYTES
from voicepanel.sandbox.fishjam.peer_socket import PeerMessage, PeerMessageAuthRequest
from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread


async def test_creation_metadata_is_the_peers_server_metadata_in_rest_and_notifications(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    peer, token = await run(
        fishjam_client.create_peer, room.id, PeerOptions(metadata={"name": "Ada"})
    )
    expected = {"peer": {}, "server": {"name": "Ada"}}
    assert peer.metadata.to_dict() == expected
    listed = (await run(fishjam_client.get_room, room.id)).peers[0]
    assert listed.metadata.to_dict() == expected

    async with ClientSession() as http:
        ws = await http.ws_connect(sandbox.fishjam_url + "/socket/peer/websocket")
        await ws.send_bytes(bytes(PeerMessage(auth_request=PeerMessageAuthRequest(token=token))))
        updated = await fishjam_notifications.wait_kind("PeerMetadataUpdated", peer_id=peer.id)
        await ws.close()
    assert json.loads(updated.metadata) == expected


async def test_peer_metadata_over_the_limit_is_a_bad_request_naming_the_limit(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    big = {"blob": "x" * MAX_METADATA_BYTES}
    with pytest.raises(BadRequestError, match=str(MAX_METADATA_BYTES)):
        await run(fishjam_client.create_peer, room.id, PeerOptions(metadata=big))
    just_fits = {"blob": "x" * (MAX_METADATA_BYTES - 20)}
    peer, _ = await run(fishjam_client.create_peer, room.id, PeerOptions(metadata=just_fits))
    assert peer.metadata.to_dict()["server"] == just_fits


async def test_an_agent_sending_huge_track_metadata_is_closed_and_nobody_else_notices(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await run(fishjam_client.create_agent, room.id)
    huge = OutgoingAudioTrackOptions(metadata={"blob": "x" * (4 * 1024 * 1024)})
    async with agent.connect() as session:
        await session.add_track(huge)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_S):
                async for _ in session.receive():
                    pass
    assert closed.value.rcvd is not None
    assert f"the limit is {MAX_METADATA_BYTES}" in closed.value.rcvd.reason

    # The notifier carried on: later notifications arrive, and no giant TrackAdded came.
    later = await run(fishjam_client.create_room)
    await fishjam_notifications.wait_kind("RoomCreated", room_id=later.id)
    assert "TrackAdded" not in fishjam_notifications.kinds(room.id)
    assert "PeerDisconnected" in fishjam_notifications.kinds(room.id)
