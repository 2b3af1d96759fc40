"""VAPI peers: the sandbox joins a call on its own VAPI side, as the Fishjam cloud does."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import numpy as np
from fishjam import FishjamClient, PeerOptionsVapi
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam_helpers import NotificationLog, kind, peak_hz, silence, tone

from voicepanel.sandbox.server import Sandbox
from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID

run = asyncio.to_thread
TRANSPORT = {
    "provider": "vapi.websocket",
    "audioFormat": {"format": "pcm_s16le", "container": "raw", "sampleRate": 16000},
}


# VAPI's REST is spoken directly here: the `vapi` SDK takes seconds to load its models on
# first use, and these tests are about the Fishjam side joining the call.
async def vapi_request(sandbox: Sandbox, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {sandbox.config.vapi_key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, sandbox.vapi_base_url + path, json=body, headers=headers) as response,
    ):
        assert response.status < 300, await response.text()
        return await response.json()


async def start_echo_call(sandbox: Sandbox) -> dict[str, Any]:
    body = {"assistantId": ECHO_ASSISTANT_ID, "transport": TRANSPORT}
    return await vapi_request(sandbox, "POST", "/call", body)


async def add_vapi_peer(
    client: FishjamClient, room_id: str, api_key: str, call_id: str, auto_close: bool = False
) -> Any:
    options = PeerOptionsVapi(api_key=api_key, call_id=call_id, auto_close=auto_close)
    return await run(client.create_vapi_agent, room_id, options)


async def test_a_vapi_peer_with_an_unknown_call_crashes_saying_so(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    peer = await add_vapi_peer(fishjam_client, room.id, sandbox.config.vapi_key, "no-such-call")
    crashed = await fishjam_notifications.wait_kind("PeerCrashed", peer_id=peer.id)
    assert crashed.reason == "VAPI call no-such-call not found"


async def test_a_vapi_peer_with_a_wrong_api_key_crashes_saying_so(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    call = await start_echo_call(sandbox)
    room = await run(fishjam_client.create_room)
    peer = await add_vapi_peer(fishjam_client, room.id, "wrong-key", call["id"])
    crashed = await fishjam_notifications.wait_kind("PeerCrashed", peer_id=peer.id)
    assert crashed.reason == "VAPI rejected the API key"


async def test_the_echo_assistant_answers_an_agent_through_the_room(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    call = await start_echo_call(sandbox)
    room = await run(fishjam_client.create_room)
    agent = await run(fishjam_client.create_agent, room.id)
    async with agent.connect() as session:
        peer = await add_vapi_peer(fishjam_client, room.id, sandbox.config.vapi_key, call["id"])
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
        await fishjam_notifications.wait_kind("TrackAdded", peer_id=peer.id)
        track = await session.add_track(OutgoingAudioTrackOptions())
        # An utterance, then the quiet a microphone would send, so the assistant's
        # end-of-speech detection fires.
        await track.send_chunk(tone(440, 0.6, 16000) + silence(1.0, 16000))
        reply = await asyncio.wait_for(_loud_audio_from(session, peer.id, seconds=0.3), 15)
    assert abs(peak_hz(reply, 16000) - 440) < 10


async def test_a_vapi_peer_leaves_when_its_call_ends(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    call = await start_echo_call(sandbox)
    room = await run(fishjam_client.create_room)
    peer = await add_vapi_peer(fishjam_client, room.id, sandbox.config.vapi_key, call["id"])
    await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
    async with aiohttp.ClientSession() as http:
        control_url = call["monitor"]["controlUrl"]
        async with http.post(control_url, json={"type": "end-call"}) as response:
            assert response.status < 300
    await fishjam_notifications.wait_kind("PeerDeleted", peer_id=peer.id)
    about_peer = [
        kind(n) for n in fishjam_notifications.items if getattr(n, "peer_id", None) == peer.id
    ]
    assert about_peer[-3:] == ["TrackRemoved", "PeerDisconnected", "PeerDeleted"]
    assert (await run(fishjam_client.get_room, room.id)).peers == []


async def test_auto_close_ends_the_call_when_the_last_participant_leaves(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    call = await start_echo_call(sandbox)
    room = await run(fishjam_client.create_room)
    agent = await run(fishjam_client.create_agent, room.id)
    async with agent.connect():
        peer = await add_vapi_peer(
            fishjam_client, room.id, sandbox.config.vapi_key, call["id"], auto_close=True
        )
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
    await fishjam_notifications.wait_kind("PeerDeleted", peer_id=peer.id)
    for _ in range(100):
        if (await vapi_request(sandbox, "GET", f"/call/{call['id']}"))["status"] == "ended":
            break
        await asyncio.sleep(0.05)
    assert (await vapi_request(sandbox, "GET", f"/call/{call['id']}"))["status"] == "ended"


async def test_a_silent_vapi_peer_leaves_after_the_silence_timeout(
    sandbox: Sandbox, fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    sandbox.fishjam.state.vapi_silence_timeout_s = 0.5
    call = await start_echo_call(sandbox)
    room = await run(fishjam_client.create_room)
    peer = await add_vapi_peer(fishjam_client, room.id, sandbox.config.vapi_key, call["id"])
    await fishjam_notifications.wait_kind("PeerConnected", peer_id=peer.id)
    await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=peer.id)
    await fishjam_notifications.wait_kind("PeerDeleted", peer_id=peer.id)


async def _loud_audio_from(session: Any, peer_id: str, seconds: float) -> bytes:
    """The first `seconds` of non-silent audio the agent hears from `peer_id`."""
    loud = bytearray()
    async for message in session.receive():
        if message.peer_id != peer_id:
            continue
        samples = np.frombuffer(message.data, dtype="<i2").astype(np.float64)
        if samples.size and np.sqrt(np.mean(samples * samples)) > 500:
            loud.extend(message.data)
            if len(loud) >= seconds * 16000 * 2:
                return bytes(loud)
    raise AssertionError("the agent's stream ended before the reply")
