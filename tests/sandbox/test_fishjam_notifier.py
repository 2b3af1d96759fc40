"""What `fishjam.FishjamNotifier` hears from the sandbox, and in which order."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType
from fishjam import AgentOptions, FishjamClient, FishjamNotifier
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam.events._protos.fishjam import (
    ServerMessage,
    ServerMessageAuthRequest,
    ServerMessageEventType,
    ServerMessagePeerType,
    ServerMessageSubscribeRequest,
)
from fishjam_helpers import NotificationLog, kind

from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread


async def test_a_whole_agent_session_is_announced_in_the_clouds_order(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await run(fishjam_client.create_agent, room.id, AgentOptions())
    async with agent.connect() as session:
        await session.add_track(OutgoingAudioTrackOptions())
        await fishjam_notifications.wait_kind("TrackAdded", peer_id=agent.id)
    await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=agent.id)
    await run(fishjam_client.delete_room, room.id)
    await fishjam_notifications.wait_kind("RoomDeleted", room_id=room.id)

    assert fishjam_notifications.kinds(room.id) == [
        "RoomCreated",
        "PeerAdded",
        "PeerConnected",
        "PeerMetadataUpdated",
        "TrackAdded",
        "TrackRemoved",
        "PeerDisconnected",
        "PeerDeleted",
        "RoomDeleted",
    ]
    added = next(n for n in fishjam_notifications.items if kind(n) == "PeerAdded")
    assert added.peer_type == ServerMessagePeerType.PEER_TYPE_AGENT


async def test_deleting_a_room_with_a_connected_peer_disconnects_and_deletes_it_first(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await run(fishjam_client.create_agent, room.id)
    async with agent.connect() as session:
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=agent.id)
        await run(fishjam_client.delete_room, room.id)
        await fishjam_notifications.wait_kind("RoomDeleted", room_id=room.id)
        # The agent's socket is closed by the server: its receive loop simply ends.
        await asyncio.wait_for(_drain(session), 5)
    assert fishjam_notifications.kinds(room.id)[-3:] == [
        "PeerDisconnected",
        "PeerDeleted",
        "RoomDeleted",
    ]


async def _drain(session) -> None:  # type: ignore[no-untyped-def]
    try:
        async for _ in session.receive():
            pass
    except Exception:
        pass


async def raw_subscriber(http: ClientSession, sandbox: Sandbox) -> ClientWebSocketResponse:
    """A bare notifier socket that sent auth and subscribe back to back and read nothing."""
    ws = await http.ws_connect(sandbox.fishjam_url + "/socket/server/websocket")
    auth = ServerMessage(auth_request=ServerMessageAuthRequest(token=sandbox.config.token))
    subscribe = ServerMessage(
        subscribe_request=ServerMessageSubscribeRequest(
            ServerMessageEventType.EVENT_TYPE_SERVER_NOTIFICATION
        )
    )
    await ws.send_bytes(bytes(auth))
    await ws.send_bytes(bytes(subscribe))
    return ws


async def test_a_wrong_management_token_is_refused_as_the_sdk_expects(sandbox: Sandbox) -> None:
    notifier = FishjamNotifier(sandbox.fishjam_url, "not-the-token")
    notifier.on_server_notification(lambda n: None)
    with pytest.raises(RuntimeError, match="Invalid management token"):
        await asyncio.wait_for(notifier.connect(), 10)


async def test_auth_and_subscribe_sent_together_are_both_answered_in_order(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    async with ClientSession() as http:
        ws = await raw_subscriber(http, sandbox)
        first = ServerMessage().parse((await ws.receive(timeout=5)).data)
        second = ServerMessage().parse((await ws.receive(timeout=5)).data)
        assert first.is_set("authenticated") and second.is_set("subscribe_response")
        room = await run(fishjam_client.create_room)
        third = ServerMessage().parse((await ws.receive(timeout=5)).data)
        assert third.room_created.room_id == room.id
        await ws.close()


async def test_every_subscribed_client_gets_each_notification(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    other = NotificationLog()
    notifier = FishjamNotifier(sandbox.fishjam_url, sandbox.config.token)
    notifier.on_server_notification(other.add)
    task = asyncio.create_task(notifier.connect())
    await notifier.wait_ready()
    room = await run(fishjam_client.create_room)
    await fishjam_notifications.wait_kind("RoomCreated", room_id=room.id)
    await other.wait_kind("RoomCreated", room_id=room.id)
    task.cancel()


async def test_a_client_that_never_reads_does_not_hold_up_the_others(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    async with ClientSession() as http:
        stalled = await raw_subscriber(http, sandbox)
        # `stalled` never reads from here on.
        rooms = [await run(fishjam_client.create_room) for _ in range(20)]
        await fishjam_notifications.wait_kind("RoomCreated", room_id=rooms[-1].id)
        await stalled.close()


async def test_the_notifier_socket_rejects_garbage_and_the_server_keeps_serving(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    async with ClientSession() as http:
        ws = await http.ws_connect(sandbox.fishjam_url + "/socket/server/websocket")
        await ws.send_bytes(b"\xff\x00garbage\x12\x99")
        closing = await ws.receive(timeout=5)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert ws.close_code in (1003, 1008)
    assert await run(fishjam_client.get_all_rooms) == []
