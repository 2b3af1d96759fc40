"""FishjamGateway with the real SDK against the sandbox, over real sockets."""

from __future__ import annotations

import pytest
from core_waits import closed_port, poll_until
from fishjam.agent import OutgoingAudioTrackOptions

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.sandbox.server import Sandbox

WRONG_TOKEN = "wrong-management-token-42"


async def test_credentials_check_passes_with_the_right_token(fishjam: FishjamGateway) -> None:
    await fishjam.check_credentials()


async def test_room_lifecycle_create_list_get_delete(fishjam: FishjamGateway) -> None:
    room = await fishjam.create_room(RoomSpec(max_peers=4, video_codec="vp8"))
    assert room.config.max_peers == 4 and room.config.video_codec == "vp8"
    assert room.config.room_type == "conference" and room.peers == ()

    assert room.id in [r.id for r in await fishjam.list_rooms()]
    assert (await fishjam.get_room(room.id)).id == room.id

    await fishjam.delete_room(room.id)
    assert room.id not in [r.id for r in await fishjam.list_rooms()]


async def test_every_room_option_is_sent(fishjam: FishjamGateway) -> None:
    spec = RoomSpec(
        max_peers=0,
        room_type="audio_only",
        webhook_url="http://127.0.0.1:9/hook",
        batch_webhook_notifications=True,
    )
    room = await fishjam.create_room(spec)
    assert room.config.room_type == "audio_only"
    assert room.config.webhook_url == "http://127.0.0.1:9/hook"
    assert room.config.batch_webhook_notifications is True


async def test_peers_are_added_refreshed_and_removed(fishjam: FishjamGateway) -> None:
    room = await fishjam.create_room(RoomSpec())
    peer, token = await fishjam.create_peer(room.id, metadata={"name": "tester"})
    assert peer.type == "webrtc" and peer.status == "disconnected"
    assert peer.subscribe_mode == "auto" and token
    listed = (await fishjam.get_room(room.id)).peers
    assert [p.id for p in listed] == [peer.id]
    assert "tester" in str(listed[0].metadata)

    new_token = await fishjam.refresh_peer_token(room.id, peer.id)
    assert new_token and new_token != token

    await fishjam.delete_peer(room.id, peer.id)
    assert (await fishjam.get_room(room.id)).peers == ()


async def test_agents_subscribe_to_peers_and_tracks(fishjam: FishjamGateway) -> None:
    room = await fishjam.create_room(RoomSpec())
    speaker = await fishjam.create_agent(room.id)
    listener = await fishjam.create_agent(room.id, sample_rate=24000, subscribe_mode="manual")
    async with speaker.connect() as session:
        track = await session.add_track(OutgoingAudioTrackOptions(metadata={"src": "test"}))
        peers = await poll_until(
            lambda: fishjam.get_room(room.id),
            lambda r: any(t.id == track.id for p in r.peers for t in p.tracks),
        )
        by_id = {p.id: p for p in peers.peers}
        assert by_id[speaker.id].type == "agent"
        assert by_id[speaker.id].tracks[0].type == "audio"
        assert by_id[listener.id].subscribe_mode == "manual"

        await fishjam.subscribe_tracks(room.id, listener.id, [track.id])
        await fishjam.subscribe_peer(room.id, listener.id, speaker.id)
        subscribed = (await fishjam.get_room(room.id)).peers
        subs = {p.id: p.subscriptions for p in subscribed}[listener.id]
        assert speaker.id in str(subs) or track.id in str(subs)


async def test_unknown_room_says_it_no_longer_exists(fishjam: FishjamGateway) -> None:
    with pytest.raises(VoicePanelError) as info:
        await fishjam.get_room("no-such-room")
    assert info.value.status == 404
    assert "Room no-such-room no longer exists." in info.value.message
    assert info.value.hint == "Refresh the room list."


async def test_unknown_peer_says_it_is_gone(fishjam: FishjamGateway) -> None:
    room = await fishjam.create_room(RoomSpec())
    with pytest.raises(VoicePanelError) as info:
        await fishjam.delete_peer(room.id, "ghost")
    assert info.value.status == 404 and "ghost" in info.value.message


async def test_wrong_token_says_which_setting_to_fix(sandbox: Sandbox) -> None:
    gateway = FishjamGateway(sandbox.fishjam_url, WRONG_TOKEN)
    for action in (gateway.list_rooms, gateway.check_credentials):
        with pytest.raises(VoicePanelError) as info:
            await action()
        assert info.value.status == 401
        assert "Fishjam rejected the management token." in info.value.message
        assert "profile" in info.value.hint
        assert WRONG_TOKEN not in str(info.value)


async def test_bad_max_peers_is_rejected_before_sending(fishjam: FishjamGateway) -> None:
    with pytest.raises(VoicePanelError) as info:
        await fishjam.create_room(RoomSpec(max_peers=-1))
    assert "peer limit" in info.value.message and info.value.status is None
    assert await fishjam.list_rooms() == []


async def test_full_room_says_max_peers_reached(fishjam: FishjamGateway) -> None:
    room = await fishjam.create_room(RoomSpec(max_peers=1))
    await fishjam.create_peer(room.id)
    with pytest.raises(VoicePanelError) as info:
        await fishjam.create_peer(room.id)
    assert "The room is full (max peers reached)." in info.value.message
    assert info.value.status in (409, 503)


async def test_unreachable_server_says_could_not_reach() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    gateway = FishjamGateway(url, "some-management-token")
    with pytest.raises(VoicePanelError) as info:
        await gateway.list_rooms()
    assert f"Could not reach Fishjam at {url}." in info.value.message
    assert "Sandbox profile" in info.value.hint
