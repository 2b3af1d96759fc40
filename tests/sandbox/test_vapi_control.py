"""Steering a live call from outside, as the panel does: the control URL (say, end-call,
mute) and the listen-only URL."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from vapi import AsyncVapi
from vapi_harness import (
    CallSocket,
    assert_is_speech_of,
    dominant_hz,
    silence,
    tone,
    transport,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID


async def live_echo_call(vapi: AsyncVapi, http) -> tuple[object, CallSocket]:
    call = await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.wait_event("status-update", status="in-progress")
    return call, socket


async def post(http, url: str, body: object) -> tuple[int, dict]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_say_through_the_control_url_speaks_the_words(vapi: AsyncVapi, http) -> None:
    call, socket = await live_echo_call(vapi, http)
    text = "Hello there, tester"

    status, _ = await post(http, call.monitor.control_url, {"type": "say", "content": text})
    assert status == 200

    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert said["transcript"] == text
    assert_is_speech_of(text, socket.received_pcm())
    assert (await vapi.calls.get(call.id)).status == "in-progress"
    await socket.close()


async def test_say_with_end_call_after_spoken_hangs_up_once_it_is_said(
    vapi: AsyncVapi, http
) -> None:
    call, socket = await live_echo_call(vapi, http)
    body = {"type": "say", "content": "Bye", "endCallAfterSpoken": True}

    assert (await post(http, call.monitor.control_url, body))[0] == 200

    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "assistant-ended-call-after-message-spoken"
    assert_is_speech_of("Bye", socket.received_pcm())
    await socket.wait_closed()
    ended = await vapi.calls.get(call.id)
    assert ended.ended_reason == "assistant-ended-call-after-message-spoken"
    assert "AI: Bye" in ended.artifact.transcript


async def test_end_call_through_the_control_url_is_a_cancel_not_the_assistant(
    vapi: AsyncVapi, http
) -> None:
    call, socket = await live_echo_call(vapi, http)
    control = call.monitor.control_url

    assert (await post(http, control, {"type": "dance"}))[0] == 400
    assert (await post(http, control, {"type": "end-call"}))[0] == 200
    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "manually-canceled"
    await socket.wait_closed()

    status, body = await post(http, control, {"type": "say", "content": "Hello?"})
    assert status == 409
    assert "already ended (manually-canceled)" in body["message"]
    unknown = control.replace(call.id, "00000000-0000-4000-8000-000000000000")
    assert (await post(http, unknown, {"type": "end-call"}))[0] == 404


async def test_a_queued_call_cannot_be_steered_yet(vapi: AsyncVapi, http) -> None:
    call = await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())

    status, body = await post(http, call.monitor.control_url, {"type": "end-call"})
    assert status == 409
    assert "queued" in body["message"]


async def test_a_muted_assistant_says_nothing_until_unmuted(vapi: AsyncVapi, http) -> None:
    call, socket = await live_echo_call(vapi, http)
    control = call.monitor.control_url

    await post(http, control, {"type": "control", "control": "mute-assistant"})
    await post(http, control, {"type": "say", "content": "Shh"})
    await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert socket.received_pcm() == b""

    await post(http, control, {"type": "control", "control": "unmute-assistant"})
    await post(http, control, {"type": "say", "content": "Now"})
    await socket.wait_audio(0.2)
    await socket.close()


async def test_add_message_is_kept_in_the_call_record(vapi: AsyncVapi, http) -> None:
    call, socket = await live_echo_call(vapi, http)
    note = {"type": "add-message", "message": {"role": "system", "content": "Be brief."}}

    assert (await post(http, call.monitor.control_url, note))[0] == 200
    await socket.wait_event("conversation-update")
    await socket.close()
    await asyncio.sleep(0.1)
    ended = await vapi.calls.get(call.id)
    assert [m.message for m in ended.artifact.messages] == ["Be brief."]


async def test_the_listen_url_streams_both_sides_in_stereo(vapi: AsyncVapi, http) -> None:
    call, socket = await live_echo_call(vapi, http)
    listener = await http.ws_connect(call.monitor.listen_url)
    await socket.send_paced(tone(440, 0.5) + silence(0.3))
    await post(http, call.monitor.control_url, {"type": "end-call"})

    frames = [m.data async for m in listener if isinstance(m.data, bytes)]
    assert frames and all(len(f) == 1280 for f in frames)  # 20 ms, 2 channels
    stereo = np.frombuffer(b"".join(frames), dtype="<i2").reshape(-1, 2)
    customer = stereo[:, 0].astype("<i2").tobytes()
    assert dominant_hz(customer) == pytest.approx(440, abs=5)
    await socket.close()
