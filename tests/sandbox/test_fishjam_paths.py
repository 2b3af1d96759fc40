"""Paths as Fishjam's real server reads them: empty segments are ignored everywhere.

Fishjam's JavaScript SDK sends `http://host:port//room` and opens
`ws://host:port//socket/server/websocket`; the cloud (Phoenix/Plug) serves those, so the
sandbox must too, on REST, on every socket, and under VAPI's prefix.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, WSMsgType
from fishjam import FishjamClient, FishjamNotifier, PeerOptions
from fishjam.events._protos.fishjam import AgentRequest, AgentRequestAuthRequest
from fishjam_helpers import WAIT_S, NotificationLog

from voicepanel.sandbox.fishjam.peer_socket import PeerMessage, PeerMessageAuthRequest
from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread


def auth(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.config.token}"}


@pytest.mark.parametrize("path", ["//room", "/room/", "///room//", "//room?x=1"])
async def test_rest_paths_with_empty_segments_reach_the_same_route(
    sandbox: Sandbox, path: str
) -> None:
    async with (
        ClientSession() as http,
        http.post(sandbox.fishjam_url + path, json={}, headers=auth(sandbox)) as created,
    ):
        assert created.status == 201
        room_id = (await created.json())["data"]["room"]["id"]
        async with http.get(
            f"{sandbox.fishjam_url}//room//{room_id}/", headers=auth(sandbox)
        ) as got:
            assert got.status == 200
            assert (await got.json())["data"]["id"] == room_id


async def test_errors_keep_their_meaning_and_json_body_under_empty_segments(
    sandbox: Sandbox,
) -> None:
    async with ClientSession() as http:
        for method, path, status in [
            ("PUT", "//room", 405),
            ("GET", "//no//such/path", 404),
            ("GET", "//room//not-a-room", 404),
        ]:
            async with http.request(
                method, sandbox.fishjam_url + path, headers=auth(sandbox)
            ) as response:
                assert response.status == status, path
                assert (await response.json())["errors"]
        async with http.get(sandbox.fishjam_url + "//room") as anonymous:
            assert anonymous.status == 401


async def test_the_sdk_notifier_works_at_a_base_url_ending_in_a_slash(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    log = NotificationLog()
    notifier = FishjamNotifier(sandbox.fishjam_url + "/", sandbox.config.token)
    notifier.on_server_notification(log.add)
    task = asyncio.create_task(notifier.connect())
    try:
        await asyncio.wait_for(notifier.wait_ready(), WAIT_S)
        room = await run(fishjam_client.create_room)
        await log.wait_kind("RoomCreated", room_id=room.id)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_agent_and_peer_sockets_open_under_a_doubled_slash(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    peer, peer_token = await run(fishjam_client.create_peer, room.id, PeerOptions())
    base = sandbox.fishjam_url.replace("http", "ws")
    async with ClientSession() as http:
        async with http.post(
            f"{sandbox.fishjam_url}//room/{room.id}//peer",
            json={"type": "agent"},
            headers=auth(sandbox),
        ) as created:
            agent = (await created.json())["data"]
        agent_ws = await http.ws_connect(base + "//socket/agent/websocket")
        await agent_ws.send_bytes(
            bytes(AgentRequest(auth_request=AgentRequestAuthRequest(token=agent["token"])))
        )
        assert (await agent_ws.receive(timeout=WAIT_S)).type is WSMsgType.BINARY
        peer_ws = await http.ws_connect(base + "//socket//peer/websocket/")
        await peer_ws.send_bytes(
            bytes(PeerMessage(auth_request=PeerMessageAuthRequest(token=peer_token)))
        )
        assert (
            PeerMessage()
            .parse((await peer_ws.receive(timeout=WAIT_S)).data)
            .is_set("authenticated")
        )
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=agent["peer"]["id"])
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
        await agent_ws.close()
        await peer_ws.close()


async def test_vapi_routes_under_the_prefix_ignore_empty_segments_too(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.config.vapi_key}"}
    async with (
        ClientSession() as http,
        http.get(sandbox.fishjam_url + "//vapi//assistant/", headers=headers) as response,
    ):
        assert response.status == 200
        assert {a["name"] for a in await response.json()} >= {"Echo", "Greeter"}
