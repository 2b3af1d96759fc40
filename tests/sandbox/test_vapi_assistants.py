"""The sandbox's assistants: the Greeter's melody, inline sandbox settings, and the energy
detector that decides when a user has finished speaking."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from vapi import AsyncVapi
from vapi_harness import (
    HANGOVER_S,
    RATE,
    CallSocket,
    dominant_hz,
    silence,
    tone,
    transport,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import GREETER_ASSISTANT_ID
from voicepanel.sandbox.vapi.tones import GREETING_NOTES_HZ, greeting_melody
from voicepanel.sandbox.vapi.vad import UtteranceDetector, VadEventKind


async def test_the_greeter_speaks_its_melody_first(vapi: AsyncVapi, http) -> None:
    call = await vapi.calls.create(assistant_id=GREETER_ASSISTANT_ID, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))

    greeting = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert greeting["transcript"].startswith("Hello from the VoicePanel sandbox")
    pcm = socket.received_pcm()
    note = int(0.18 * RATE) * 2  # 150 ms note + 30 ms gap
    heard = [dominant_hz(pcm[i * note : i * note + int(0.15 * RATE) * 2]) for i in range(5)]
    assert heard == pytest.approx(list(GREETING_NOTES_HZ), abs=8)
    await socket.close()


async def test_an_inline_greeter_at_24_khz_greets_with_its_own_first_message(
    vapi: AsyncVapi, http
) -> None:
    assistant = {"firstMessage": "Welcome!", "metadata": {"sandbox": {"behavior": "greeter"}}}
    call = await vapi.calls.create(assistant=assistant, transport=transport(24000))
    socket = await CallSocket.connect(http, websocket_call_url(call))

    greeting = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert greeting["transcript"] == "Welcome!"
    assert len(socket.received_pcm()) == len(greeting_melody(24000))
    assert all(len(frame) == 960 for _, frame in socket.audio)  # 20 ms at 24 kHz
    await socket.close()


async def test_an_inline_assistant_sets_its_own_reply_delay(vapi: AsyncVapi, http) -> None:
    assistant = {"name": "Quick", "metadata": {"sandbox": {"replyDelayMs": 100}}}
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))

    spoke_until = await socket.send_paced(tone(440, 0.5))
    sender = asyncio.create_task(socket.send_paced(silence(0.6)))
    await socket.wait_audio(0.1)
    await sender

    assert socket.audio[0][0] - spoke_until == pytest.approx(HANGOVER_S + 0.1, abs=0.08)
    await socket.close()


async def test_an_inline_assistant_that_waits_for_the_user_stays_quiet(
    vapi: AsyncVapi, http
) -> None:
    assistant = {"firstMessage": "Hi", "firstMessageMode": "assistant-waits-for-user"}
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(silence(0.3))
    assert socket.received_pcm() == b""

    await socket.ws.send_str('{"type": "control", "control": "say-first-message"}')
    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert said["transcript"] == "Hi"
    await socket.close()


def test_an_utterance_ends_after_the_hangover_of_quiet() -> None:
    detector = UtteranceDetector(RATE)
    speech = tone(440, 0.5)

    events = detector.feed(speech)
    assert [e.kind for e in events] == [VadEventKind.SPEECH_STARTED]
    assert detector.feed(silence(0.28)) == []
    (ended,) = detector.feed(silence(0.02))
    assert ended.kind is VadEventKind.UTTERANCE_ENDED
    assert ended.duration_s == pytest.approx(0.5)
    assert ended.audio == speech


def test_a_click_shorter_than_the_minimum_speech_is_not_an_utterance() -> None:
    detector = UtteranceDetector(RATE)

    events = detector.feed(tone(440, 0.1) + silence(0.5))
    assert events == []
    assert not detector.speaking


def test_chunk_sizes_do_not_change_what_is_detected() -> None:
    audio = tone(440, 0.4) + silence(0.4)
    whole = UtteranceDetector(RATE).feed(audio)
    chopped = UtteranceDetector(RATE)
    events = []
    for offset in range(0, len(audio), 346):  # odd-sized chunks of whole samples
        events += chopped.feed(audio[offset : offset + 346])
    assert [(e.kind, e.audio) for e in events] == [(e.kind, e.audio) for e in whole]


def test_quiet_noise_is_not_speech() -> None:
    rng = np.random.default_rng(7)
    hiss = (rng.normal(0, 150, RATE)).astype("<i2").tobytes()  # about -47 dBFS
    assert UtteranceDetector(RATE).feed(hiss) == []
