"""The sandbox's Fishjam REST API, driven through the real `fishjam.FishjamClient`."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from fishjam import (
    AgentOptions,
    AgentOutputOptions,
    FishjamClient,
    PeerOptions,
    PeerOptionsVapi,
    RoomOptions,
)
from fishjam.errors import (
    BadRequestError,
    ConflictError,
    InvalidFishjamCredentialsError,
    NotFoundError,
    UnauthorizedError,
)

from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread


async def test_checking_credentials_passes_with_the_token_and_fails_without(
    sandbox: Sandbox, fishjam_client: FishjamClient
) -> None:
    await run(fishjam_client.check_credentials)
    wrong = FishjamClient(sandbox.fishjam_url, "not-the-token")
    with pytest.raises(InvalidFishjamCredentialsError):
        await run(wrong.check_credentials)


async def test_a_room_created_without_options_echoes_the_cloud_defaults(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    config = room.config
    assert config.max_peers == 0
    assert config.video_codec.value == "h264"
    assert config.room_type.value == "conference"
    assert config.public is False
    assert config.batch_webhook_notifications is False
    assert config.webhook_url is None
    assert room.peers == []


async def test_every_room_option_is_kept(fishjam_client: FishjamClient) -> None:
    options = RoomOptions(
        max_peers=5,
        video_codec="vp8",
        webhook_url="http://127.0.0.1:9/hook",
        room_type="audio_only",
        public=True,
        batch_webhook_notifications=True,
    )
    room = await run(fishjam_client.create_room, options)
    again = await run(fishjam_client.get_room, room.id)
    for seen in (room.config, again.config):
        assert seen.max_peers == 5
        assert seen.video_codec.value == "vp8"
        assert seen.webhook_url == "http://127.0.0.1:9/hook"
        assert seen.room_type.value == "audio_only"
        assert seen.public is True
        assert seen.batch_webhook_notifications is True


async def test_rooms_are_listed_and_a_deleted_room_is_gone(fishjam_client: FishjamClient) -> None:
    first = await run(fishjam_client.create_room)
    second = await run(fishjam_client.create_room)
    assert {r.id for r in await run(fishjam_client.get_all_rooms)} == {first.id, second.id}
    await run(fishjam_client.delete_room, first.id)
    assert [r.id for r in await run(fishjam_client.get_all_rooms)] == [second.id]
    with pytest.raises(NotFoundError):
        await run(fishjam_client.get_room, first.id)
    with pytest.raises(NotFoundError):
        await run(fishjam_client.delete_room, first.id)


async def test_each_peer_type_is_created_with_a_token_and_full_peer_json(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    peer, token = await run(
        fishjam_client.create_peer, room.id, PeerOptions(metadata={"name": "Ada"})
    )
    assert token and peer.type_.value == "webrtc" and peer.status.value == "disconnected"
    assert peer.metadata.to_dict() == {"peer": {}, "server": {"name": "Ada"}}
    assert peer.subscriptions.peers == [] and peer.tracks == []

    agent = await run(
        fishjam_client.create_agent,
        room.id,
        AgentOptions(output=AgentOutputOptions(audio_sample_rate=24000), subscribe_mode="manual"),
    )
    assert agent.room_id == room.id
    # The socket URL comes back with an explicit scheme, so the SDK stays on plain ws://.
    assert agent._socket_url.startswith("ws://127.0.0.1:")

    vapi = await run(
        fishjam_client.create_vapi_agent,
        room.id,
        PeerOptionsVapi(api_key="key", call_id="no-such-call", auto_close=True),
    )
    assert vapi.type_.value == "vapi"

    listed = await run(fishjam_client.get_room, room.id)
    by_id = {p.id: p for p in listed.peers}
    assert by_id[agent.id].subscribe_mode.value == "manual"
    assert {p.type_.value for p in listed.peers} == {"webrtc", "agent", "vapi"}


async def test_deleting_a_peer_removes_it_and_a_second_delete_is_not_found(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    peer, _ = await run(fishjam_client.create_peer, room.id)
    await run(fishjam_client.delete_peer, room.id, peer.id)
    assert (await run(fishjam_client.get_room, room.id)).peers == []
    with pytest.raises(NotFoundError):
        await run(fishjam_client.delete_peer, room.id, peer.id)


async def test_refreshing_a_token_gives_a_new_one(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    peer, token = await run(fishjam_client.create_peer, room.id)
    fresh = await run(fishjam_client.refresh_peer_token, room.id, peer.id)
    assert fresh and fresh != token
    with pytest.raises(NotFoundError):
        await run(fishjam_client.refresh_peer_token, room.id, "nobody")


async def test_subscriptions_show_up_on_the_subscriber(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    manual = PeerOptions(subscribe_mode="manual")
    listener, _ = await run(fishjam_client.create_peer, room.id, manual)
    speaker, _ = await run(fishjam_client.create_peer, room.id)
    await run(fishjam_client.subscribe_peer, room.id, listener.id, speaker.id)
    seen = {p.id: p for p in (await run(fishjam_client.get_room, room.id)).peers}
    assert seen[listener.id].subscriptions.peers == [speaker.id]
    with pytest.raises(NotFoundError):
        await run(fishjam_client.subscribe_peer, room.id, listener.id, "nobody")
    with pytest.raises(NotFoundError):
        await run(fishjam_client.subscribe_tracks, room.id, listener.id, ["no-such-track"])
    with pytest.raises(BadRequestError):
        await run(fishjam_client.subscribe_peer, room.id, listener.id, listener.id)


async def test_a_wrong_management_token_is_unauthorized_everywhere(sandbox: Sandbox) -> None:
    wrong = FishjamClient(sandbox.fishjam_url, "not-the-token")
    for call, args in (
        (wrong.create_room, ()),
        (wrong.get_all_rooms, ()),
        (wrong.get_room, ("r",)),
        (wrong.delete_room, ("r",)),
        (wrong.create_peer, ("r",)),
        (wrong.delete_peer, ("r", "p")),
        (wrong.refresh_peer_token, ("r", "p")),
        (wrong.subscribe_peer, ("r", "p", "q")),
        (wrong.subscribe_tracks, ("r", "p", ["t"])),
    ):
        with pytest.raises(UnauthorizedError):
            await run(call, *args)


async def test_unknown_rooms_and_peers_are_not_found(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    for call, args in (
        (fishjam_client.get_room, ("nope",)),
        (fishjam_client.delete_room, ("nope",)),
        (fishjam_client.create_peer, ("nope",)),
        (fishjam_client.create_agent, ("nope",)),
        (fishjam_client.delete_peer, (room.id, "nope")),
        (fishjam_client.refresh_peer_token, (room.id, "nope")),
        (fishjam_client.subscribe_peer, (room.id, "nope", "other")),
        (fishjam_client.subscribe_tracks, (room.id, "nope", [])),
    ):
        with pytest.raises(NotFoundError):
            await run(call, *args)


async def test_invalid_room_options_are_bad_requests(fishjam_client: FishjamClient) -> None:
    for options in (RoomOptions(max_peers=-1), RoomOptions(max_peers=10**9)):
        with pytest.raises(BadRequestError):
            await run(fishjam_client.create_room, options)


async def test_a_full_room_refuses_another_peer_with_a_conflict(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room, RoomOptions(max_peers=1))
    await run(fishjam_client.create_peer, room.id)
    with pytest.raises(ConflictError):
        await run(fishjam_client.create_agent, room.id)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/room", b"{not json", 400),
        ("POST", "/room", b'{"roomType": "party"}', 400),
        ("POST", "/room", b'{"maxPeers": "ten"}', 400),
        ("POST", "/room", b'{"maxPeers": -3}', 400),
        ("POST", "/room", b'{"public": "yes"}', 400),
        ("POST", "/room", b'{"videoCodec": "av1"}', 400),
        ("POST", "/room", b"[1, 2]", 400),
        ("POST", "/room/{room}/peer", b'{"type": "sip"}', 400),
        ("POST", "/room/{room}/peer", b'{"type": "agent", "options": []}', 400),
        ("POST", "/room/{room}/peer", b'{"type": "vapi", "options": {"apiKey": "k"}}', 400),
        ("POST", "/room/{room}/peer", b"\xff\xfe", 400),
        ("POST", "/room/{room}/peer/{peer}/subscribe_tracks", b'{"track_ids": "t"}', 400),
        ("POST", "/room/{room}/peer/{peer}/subscribe_peer", b"", 400),
        ("GET", "/no/such/path", b"", 404),
        ("PUT", "/room", b"", 405),
        # Hostile input is a client error with a sentence, never a 500.
        ("POST", "/room", b"[" * 50_000 + b"]" * 50_000, 400),
        ("POST", "/room", b'{"a":' * 40 + b"1" + b"}" * 40, 400),
        ("POST", "/room", b'{"maxPeers": NaN}', 400),
        ("POST", "/room", b'{"maxPeers": Infinity}', 400),
        ("POST", "/room", b'{"maxPeers": 1e999}', 400),
        ("POST", "/room", b'{"maxPeers": 99999999999999999999999}', 400),
        ("POST", "/room", b'{"maxPeers": 2.5}', 400),
        ("POST", "/room", b'{"webhookUrl": 7}', 400),
        ("POST", "/room", b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413),
        ("POST", "/moq/access", b'{"ttl": 1e999}', 400),
        ("POST", "/moq/access", b'{"ttl": 86400.5}', 400),
        ("POST", "/room/{room}/peer/{peer}/subscribe_peer?peer_id=" + "p" * 300, b"", 400),
        ("GET", "/recordings?status=paused", b"", 400),
    ],
)
async def test_bad_input_gets_a_json_error_body(
    sandbox: Sandbox,
    fishjam_client: FishjamClient,
    method: str,
    path: str,
    body: bytes,
    status: int,
) -> None:
    room = await run(fishjam_client.create_room)
    peer, _ = await run(fishjam_client.create_peer, room.id)
    headers = {"Authorization": f"Bearer {sandbox.config.token}"}
    url = sandbox.fishjam_url + path.format(room=room.id, peer=peer.id)
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=body, headers=headers) as response,
    ):
        assert response.status == status
        payload = await response.json()
    assert isinstance(payload["errors"], str) and payload["errors"]


async def test_unknown_fields_are_ignored(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.config.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            sandbox.fishjam_url + "/room",
            json={"maxPeers": 2, "flavour": "mint", "nested": {"a": 1}},
            headers=headers,
        ) as response,
    ):
        assert response.status == 201
        room = (await response.json())["data"]["room"]
    assert room["config"]["maxPeers"] == 2


def test_the_blocking_sdk_works_against_a_sandbox_on_its_own_thread(
    threaded_sandbox: Sandbox,
) -> None:
    client = FishjamClient(threaded_sandbox.fishjam_url, threaded_sandbox.config.token)
    client.check_credentials()
    room = client.create_room(RoomOptions(max_peers=2))
    peer, token = client.create_peer(room.id)
    assert [p.id for p in client.get_room(room.id).peers] == [peer.id] and token
    client.delete_room(room.id)
    assert client.get_all_rooms() == []
