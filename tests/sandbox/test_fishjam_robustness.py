"""Bad input on any socket never takes the sandbox down; other rooms keep working."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, TCPConnector, WSMsgType
from fishjam import FishjamClient, PeerOptions
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam.events._protos.fishjam import AgentRequest, AgentRequestAuthRequest
from fishjam_helpers import NotificationLog, receive_audio, tone

from voicepanel.sandbox.fishjam.peer_socket import PeerMessage, PeerMessageAuthRequest
from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread
SOCKETS = ("/socket/server/websocket", "/socket/agent/websocket", "/socket/peer/websocket")


@pytest.mark.parametrize("path", SOCKETS)
@pytest.mark.parametrize(
    ("frame", "codes"),
    [
        (b"\xff\xff\xff\xff\x0f garbage \x00\x01", (1003, 1008)),
        ("text is not protobuf", (1003,)),
        (b"", (1008,)),
    ],
)
async def test_garbage_on_a_socket_closes_it_and_the_server_keeps_serving(
    sandbox: Sandbox, fishjam_client: FishjamClient, path: str, frame: bytes | str, codes: tuple
) -> None:
    async with ClientSession() as http:
        ws = await http.ws_connect(sandbox.fishjam_url + path)
        if isinstance(frame, str):
            await ws.send_str(frame)
        else:
            await ws.send_bytes(frame)
        message = await ws.receive(timeout=5)
        assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert ws.close_code in codes
        assert message.extra  # a reason a person can read
    room = await run(fishjam_client.create_room)
    assert (await run(fishjam_client.get_room, room.id)).id == room.id


async def test_garbage_from_an_authenticated_agent_closes_only_that_agent(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    rogue = await run(fishjam_client.create_agent, room.id)
    speaker = await run(fishjam_client.create_agent, room.id)
    listener = await run(fishjam_client.create_agent, room.id)
    async with speaker.connect() as s, listener.connect() as listen, rogue.connect() as r:
        await r._ws.send(b"\x0a\xff\xff\xff\xff\xff")
        await asyncio.wait_for(r._ws.wait_closed(), 5)
        await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=rogue.id)
        track = await s.add_track(OutgoingAudioTrackOptions())
        await track.send_chunk(tone(440, 0.3, 16000))
        await receive_audio(listen, int(0.3 * 16000) * 2)


async def test_an_agent_vanishing_mid_stream_leaves_the_room_working(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await run(fishjam_client.create_agent, room.id)
    leaver = await run(fishjam_client.create_agent, room.id)
    stayer = await run(fishjam_client.create_agent, room.id)
    async with speaker.connect() as s, stayer.connect() as stay:
        track = await s.add_track(OutgoingAudioTrackOptions())
        async with leaver.connect() as leave:
            await track.send_chunk(tone(440, 1.0, 16000))
            await receive_audio(leave, 3200)
            leave._ws.transport.abort()  # no close frame: the client just disappears
        await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=leaver.id)
        heard = await receive_audio(stay, int(0.9 * 16000) * 2)
    assert len(heard.data) >= int(0.9 * 16000) * 2


async def test_a_flood_of_idle_connections_does_not_stop_the_sandbox(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    async with ClientSession(connector=TCPConnector(limit=0)) as http:
        sockets = await asyncio.gather(
            *(http.ws_connect(sandbox.fishjam_url + SOCKETS[i % 3]) for i in range(150))
        )
        rooms = await run(fishjam_client.get_all_rooms)
        assert rooms == []
        await asyncio.gather(*(ws.close() for ws in sockets))


async def test_a_webrtc_peer_socket_only_connects_and_disconnects_the_peer(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    peer, token = await run(fishjam_client.create_peer, room.id, PeerOptions())
    async with ClientSession() as http:
        ws = await http.ws_connect(sandbox.fishjam_url + "/socket/peer/websocket")
        await ws.send_bytes(bytes(PeerMessage(auth_request=PeerMessageAuthRequest(token=token))))
        answer = PeerMessage().parse((await ws.receive(timeout=5)).data)
        assert answer.is_set("authenticated")
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
        await ws.close()
    await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=peer.id)


async def test_an_agent_token_does_not_open_a_webrtc_socket_or_the_reverse(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    room = await run(fishjam_client.create_room)
    _, webrtc_token = await run(fishjam_client.create_peer, room.id)
    async with ClientSession() as http:
        ws = await http.ws_connect(sandbox.fishjam_url + "/socket/agent/websocket")
        await ws.send_bytes(
            bytes(AgentRequest(auth_request=AgentRequestAuthRequest(token=webrtc_token)))
        )
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.CLOSE and "agent" in message.extra
