"""The VAPI peer's own rules, against a scripted stand-in for a VAPI call.

The Fishjam side is mounted alone on a test server whose /vapi/call/{id} answers with a
transport URL on the same server, so the test drives the call's socket directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from aiohttp import WSMsgType, web
from fishjam import FishjamClient, FishjamNotifier, PeerOptionsVapi
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam_helpers import NotificationLog, peak_hz, receive_audio, tone

from voicepanel.sandbox.fishjam import FishjamSandbox

run = asyncio.to_thread
TOKEN = "bridge-test-token"


@dataclass
class ScriptedCall:
    """One fake VAPI call: its REST record and its transport socket."""

    ws: web.WebSocketResponse | None = None
    heard: bytearray = field(default_factory=bytearray)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    heard_more: asyncio.Event = field(default_factory=asyncio.Event)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    async def get_call(self, request: web.Request) -> web.Response:
        transport = {
            "provider": "vapi.websocket",
            "websocketCallUrl": f"ws://{request.host}/scripted-call",
            "audioFormat": {"format": "pcm_s16le", "container": "raw", "sampleRate": 16000},
        }
        call_id = request.match_info["call_id"]
        return web.json_response({"id": call_id, "status": "queued", "transport": transport})

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self.connected.set()
        async for message in ws:
            if message.type is WSMsgType.BINARY:
                self.heard.extend(message.data)
                self.heard_more.set()
        self.hung_up.set()
        return ws

    async def wait_heard(self, seconds: float) -> None:
        async def enough() -> None:
            while len(self.heard) < seconds * 16000 * 2:
                self.heard_more.clear()
                await self.heard_more.wait()

        await asyncio.wait_for(enough(), 10)


@dataclass
class Rig:
    url: str
    call: ScriptedCall
    client: FishjamClient
    notifications: NotificationLog


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    fishjam = FishjamSandbox(TOKEN, webhook_secret="vapi-bridge-test")
    call = ScriptedCall()
    app = web.Application()
    fishjam.add_routes(app)
    app.router.add_get("/vapi/call/{call_id}", call.get_call)
    app.router.add_get("/scripted-call", call.socket)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    await fishjam.start(url)
    log = NotificationLog()
    notifier = FishjamNotifier(url, TOKEN)
    notifier.on_server_notification(log.add)
    listening = asyncio.create_task(notifier.connect())
    await asyncio.wait_for(notifier.wait_ready(), 10)
    try:
        yield Rig(url, call, FishjamClient(url, TOKEN), log)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await fishjam.close()
        if call.ws is not None:
            await call.ws.close()
        await runner.cleanup()


async def join_call(rig: Rig, room_id: str) -> str:
    options = PeerOptionsVapi(api_key="any", call_id="scripted")
    peer = await run(rig.client.create_vapi_agent, room_id, options)
    await asyncio.wait_for(rig.call.connected.wait(), 10)
    await rig.notifications.wait_kind("TrackAdded", peer_id=peer.id)
    return peer.id


async def test_user_interrupted_from_the_call_drops_the_reply_still_queued(rig: Rig) -> None:
    room = await run(rig.client.create_room)
    agent = await run(rig.client.create_agent, room.id)
    async with agent.connect() as session:
        await join_call(rig, room.id)
        assert rig.call.ws is not None
        await rig.call.ws.send_bytes(tone(440, 2.0, 16000))  # a long reply, all at once
        before = await receive_audio(session, int(0.3 * 16000) * 2)
        await rig.call.ws.send_str(json.dumps({"type": "user-interrupted"}))
        await rig.call.ws.send_bytes(tone(880, 0.3, 16000))
        after = bytearray()

        async def until_the_new_reply() -> None:
            async for message in session.receive():
                after.extend(message.data)
                if len(after) >= 3200 and abs(peak_hz(bytes(after[-3200:]), 16000) - 880) < 20:
                    return

        await asyncio.wait_for(until_the_new_reply(), 10)
    assert (len(before.data) + len(after)) / 2 / 16000 < 1.0


async def test_the_call_hears_one_speaker_at_a_time(rig: Rig) -> None:
    room = await run(rig.client.create_room)
    first = await run(rig.client.create_agent, room.id)
    second = await run(rig.client.create_agent, room.id)
    async with first.connect() as a, second.connect() as b:
        # Agents read what they hear, as real ones do (an unread socket closes slowly).
        readers = [asyncio.create_task(_drain(s)) for s in (a, b)]
        await join_call(rig, room.id)
        a_track = await a.add_track(OutgoingAudioTrackOptions())
        b_track = await b.add_track(OutgoingAudioTrackOptions())
        await a_track.send_chunk(tone(440, 1.0, 16000))
        await b_track.send_chunk(tone(660, 1.0, 16000))  # talks over the first speaker
        await rig.call.wait_heard(0.9)
        for reader in readers:
            reader.cancel()

    heard = np.frombuffer(bytes(rig.call.heard), dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(heard * np.hanning(heard.size)))
    freqs = np.fft.rfftfreq(heard.size, 1 / 16000)
    at = lambda hz: spectrum[np.argmin(np.abs(freqs - hz))]  # noqa: E731
    assert abs(peak_hz(bytes(rig.call.heard), 16000) - 440) < 5
    assert at(660) < 0.05 * at(440)


async def test_the_call_closing_removes_the_vapi_peer(rig: Rig) -> None:
    room = await run(rig.client.create_room)
    peer_id = await join_call(rig, room.id)
    assert rig.call.ws is not None
    await rig.call.ws.close()
    await rig.notifications.wait_kind("PeerDisconnected", peer_id=peer_id)
    await rig.notifications.wait_kind("PeerDeleted", peer_id=peer_id)


async def _drain(session) -> None:  # type: ignore[no-untyped-def]
    async for _ in session.receive():
        pass


async def test_deleting_the_vapi_peer_hangs_up_its_call_socket(rig: Rig) -> None:
    room = await run(rig.client.create_room)
    peer_id = await join_call(rig, room.id)
    assert rig.call.ws is not None
    await run(rig.client.delete_peer, room.id, peer_id)
    await asyncio.wait_for(rig.call.hung_up.wait(), 10)
    assert rig.notifications.kinds(room.id)[-3:] == [
        "TrackRemoved",
        "PeerDisconnected",
        "PeerDeleted",
    ]
