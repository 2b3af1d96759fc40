"""When the user's turn is over: on the wall clock, so an agent that says one thing and then
sends nothing is answered, and pauses shorter than the end-of-turn quiet stay in the turn."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import numpy as np
import pytest
from fishjam import FishjamClient, PeerOptionsVapi
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam_helpers import peak_hz
from vapi import AsyncVapi
from vapi_harness import (
    END_OF_TURN_S,
    RATE,
    REPLY_DELAY_S,
    CallSocket,
    dominant_hz,
    silence,
    tone,
    transport,
    voiced_seconds,
    websocket_call_url,
)

from voicepanel.sandbox.server import Sandbox, SandboxConfig
from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID
from voicepanel.sandbox.vapi.endpointing import (
    EndpointingConfig,
    UtteranceDetector,
    VadEventKind,
)

FRAME = 0.02


def fed_in_real_time(detector: UtteranceDetector, pcm: bytes, start: float) -> list[Any]:
    """Feed `pcm` one 20 ms frame per 20 ms of (simulated) clock, from `start`."""
    step = 2 * int(FRAME * RATE)
    events = []
    for n, offset in enumerate(range(0, len(pcm), step)):
        events += detector.feed(pcm[offset : offset + step], start + n * FRAME)
    return events


def test_a_turn_ends_once_the_quiet_time_has_passed_even_with_no_audio_at_all() -> None:
    detector = UtteranceDetector(RATE, EndpointingConfig(end_of_turn_s=1.5))
    speech = tone(440, 1.0)

    events = fed_in_real_time(detector, speech, start=100.0)
    assert [e.kind for e in events] == [VadEventKind.SPEECH_STARTED]
    assert detector.deadline() == pytest.approx(101.0 + 1.5)
    assert detector.poll(102.49) == []
    (ended,) = detector.poll(102.5)
    assert ended.kind is VadEventKind.UTTERANCE_ENDED
    assert ended.audio == speech
    assert ended.ended_at == pytest.approx(101.0)


def test_pauses_shorter_than_the_quiet_time_stay_in_the_turn() -> None:
    detector = UtteranceDetector(RATE, EndpointingConfig(end_of_turn_s=1.0))
    first, second = tone(440, 0.5), tone(660, 0.5)

    events = fed_in_real_time(detector, first + silence(0.6), start=0.0)
    # Nothing arrives for 0.3 s, then the second phrase: 0.9 s of quiet in all.
    events += fed_in_real_time(detector, second, start=1.4)
    events += detector.poll(3.0)

    kinds = [e.kind for e in events]
    assert kinds == [VadEventKind.SPEECH_STARTED, VadEventKind.UTTERANCE_ENDED]
    whole = events[-1].audio
    assert whole.startswith(first + silence(0.6)) and whole.endswith(second)
    assert events[-1].duration_s == pytest.approx(1.9, abs=0.03)  # the gap became quiet


def test_a_file_sent_in_one_burst_is_judged_by_its_own_quiet() -> None:
    detector = UtteranceDetector(RATE, EndpointingConfig(end_of_turn_s=0.5))
    events = detector.feed(tone(440, 0.8) + silence(0.6), now=10.0)
    assert [e.kind for e in events] == [VadEventKind.SPEECH_STARTED, VadEventKind.UTTERANCE_ENDED]


def test_a_click_is_not_a_turn_and_is_forgotten_after_a_short_quiet() -> None:
    detector = UtteranceDetector(RATE, EndpointingConfig(end_of_turn_s=1.5))
    assert fed_in_real_time(detector, tone(440, 0.1), start=0.0) == []
    assert detector.poll(0.45) == []
    assert detector.deadline() is None
    assert not detector.speaking


def test_chunk_sizes_do_not_change_what_is_detected() -> None:
    audio = tone(440, 0.4) + silence(0.4)
    config = EndpointingConfig(end_of_turn_s=0.3)
    whole = UtteranceDetector(RATE, config).feed(audio, 0.0)
    chopped = UtteranceDetector(RATE, config)
    events = []
    for offset in range(0, len(audio), 346):  # odd-sized chunks of whole samples
        events += chopped.feed(audio[offset : offset + 346], 0.0)
    assert [(e.kind, e.audio) for e in events] == [(e.kind, e.audio) for e in whole]


def test_quiet_noise_is_not_speech() -> None:
    rng = np.random.default_rng(7)
    hiss = (rng.normal(0, 150, RATE)).astype("<i2").tobytes()  # about -47 dBFS
    assert UtteranceDetector(RATE).feed(hiss, 0.0) == []


async def test_the_echo_repeats_the_whole_utterance_pauses_included(vapi: AsyncVapi, http) -> None:
    call = await vapi.calls.create(
        assistant={
            "startSpeakingPlan": {
                "waitSeconds": 0,
                "transcriptionEndpointingPlan": {"onNoPunctuationSeconds": 0.8},
            }
        },
        transport=transport(),
    )
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.4) + silence(0.5) + tone(660, 0.4))
    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")

    assert said["transcript"] == "(echo of 1.3 s)"
    reply = socket.received_pcm()
    assert voiced_seconds(reply) == pytest.approx(0.8, abs=0.06)
    assert dominant_hz(reply[: int(0.4 * RATE) * 2]) == pytest.approx(440, abs=5)
    assert dominant_hz(reply[int(0.9 * RATE) * 2 : int(1.3 * RATE) * 2]) == pytest.approx(
        660, abs=5
    )
    await socket.close()


async def test_a_call_that_hears_nothing_after_an_utterance_still_answers(
    vapi: AsyncVapi, http
) -> None:
    call = await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    spoke_until = await socket.send_paced(tone(440, 0.5))  # and then nothing

    await socket.wait_audio(0.4)
    delay = socket.audio[0][0] - spoke_until
    assert delay == pytest.approx(END_OF_TURN_S + REPLY_DELAY_S, abs=0.08)
    await socket.close()


# -- through Fishjam, with the default timing ---------------------------------------------


@pytest.fixture
async def default_sandbox() -> Any:
    """A sandbox with every default, VAPI's end-of-turn quiet time included."""
    server = Sandbox(SandboxConfig(port=0))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_an_agent_that_says_one_thing_and_then_nothing_hears_the_echo_in_time(
    default_sandbox: Sandbox,
) -> None:
    sandbox = default_sandbox
    config = sandbox.config
    assert config.end_of_turn_s == 1.5 and config.reply_delay_s == 0.4
    fishjam_client = FishjamClient(sandbox.fishjam_url, config.token)
    headers = {"Authorization": f"Bearer {config.vapi_key}"}
    body = {"assistantId": ECHO_ASSISTANT_ID, "transport": transport()}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sandbox.vapi_base_url}/call", json=body, headers=headers) as response,
    ):
        call = await response.json()
    room = await asyncio.to_thread(fishjam_client.create_room)
    agent = await asyncio.to_thread(fishjam_client.create_agent, room.id)
    loop = asyncio.get_running_loop()
    async with agent.connect() as session:
        options = PeerOptionsVapi(api_key=config.vapi_key, call_id=call["id"])
        peer = await asyncio.to_thread(fishjam_client.create_vapi_agent, room.id, options)
        await wait_until_connected(fishjam_client, room.id, peer.id)
        track = await session.add_track(OutgoingAudioTrackOptions())

        sent_at = loop.time()
        await track.send_chunk(tone(440, 1.0))  # one utterance, then nothing at all
        spoken_until = sent_at + 1.0  # the room plays it out in real time
        heard, first_loud_at = bytearray(), None
        async with asyncio.timeout(10):
            async for message in session.receive():
                loud = np.abs(np.frombuffer(message.data, dtype="<i2")).max() > 3000
                if first_loud_at is None and loud:
                    first_loud_at = loop.time()
                if first_loud_at is not None:
                    heard += message.data
                    if len(heard) >= int(0.8 * RATE) * 2:
                        break

    assert first_loud_at is not None
    allowed = config.end_of_turn_s + config.reply_delay_s
    waited = first_loud_at - spoken_until
    assert allowed - 0.1 <= waited <= allowed + 0.1, f"answered {waited:.3f} s after speaking"
    assert peak_hz(bytes(heard), RATE) == pytest.approx(440, abs=5)
    fishjam_client.client.get_httpx_client().close()


async def wait_until_connected(client: FishjamClient, room_id: str, peer_id: str) -> None:
    async with asyncio.timeout(10):
        while True:
            room = await asyncio.to_thread(client.get_room, room_id)
            peer = next((p for p in room.peers if p.id == peer_id), None)
            if peer is not None and peer.status == "connected" and peer.tracks:
                return
            await asyncio.sleep(0.05)
