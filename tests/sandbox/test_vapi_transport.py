"""A call's `vapi.websocket` transport: the Echo answers, statuses move, bad input is shrugged
off. Each test speaks through a real socket, paced like a microphone."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from vapi import AsyncVapi
from vapi_harness import (
    API_KEY,
    END_OF_TURN_S,
    RATE,
    REPLY_DELAY_S,
    CallSocket,
    VapiServer,
    assert_is_speech_of,
    dominant_hz,
    silence,
    start_vapi_server,
    tone,
    transport,
    voiced_seconds,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID, VapiSandbox

TIMING_TOLERANCE_S = 0.08


async def echo_call(vapi: AsyncVapi, **assistant) -> object:
    if assistant:
        return await vapi.calls.create(assistant=assistant, transport=transport())
    return await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())


async def test_the_echo_plays_my_tone_back_after_the_reply_delay(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi)
    socket = await CallSocket.connect(http, websocket_call_url(call))

    spoke_until = await socket.send_paced(tone(440, 1.0))
    sender = asyncio.create_task(socket.send_paced(silence(1.2)))
    reply = await socket.wait_audio(1.0)
    await sender

    delay = socket.audio[0][0] - spoke_until
    # The reply starts when the detector has heard the hangover of quiet, plus the delay.
    assert delay == pytest.approx(END_OF_TURN_S + REPLY_DELAY_S, abs=TIMING_TOLERANCE_S)
    assert dominant_hz(reply[: RATE * 2]) == pytest.approx(440, abs=5)
    assert voiced_seconds(reply) == pytest.approx(1.0, abs=0.06)
    transcript = await socket.wait_event("transcript", role="user", transcriptType="final")
    assert transcript["transcript"] == "(user spoke for 1.0 s)"
    echoed = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert echoed["transcript"] == "(echo of 1.0 s)"
    await socket.close()


async def test_the_echo_sends_its_reply_in_real_time(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi, metadata={"sandbox": {"replyDelayMs": 0}})
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.6))
    sender = asyncio.create_task(socket.send_paced(silence(1.0)))
    await socket.wait_event("speech-update", role="assistant", status="stopped")
    await sender

    arrivals = [t for t, _ in socket.audio]
    frames = len(arrivals)
    assert all(len(a) == 640 for _, a in socket.audio)  # 20 ms frames
    assert arrivals[-1] - arrivals[0] == pytest.approx((frames - 1) * 0.02, abs=0.05)
    await socket.close()


async def test_connecting_starts_the_call_and_hanging_up_ends_it_as_the_customer(
    vapi: AsyncVapi, http
) -> None:
    call = await echo_call(vapi)
    assert call.status == "queued"
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.wait_event("status-update", status="in-progress")
    assert (await vapi.calls.get(call.id)).status == "in-progress"
    await socket.send_paced(tone(440, 0.4) + silence(0.4))
    await socket.close()

    ended = await wait_until_ended(vapi, call.id)
    assert ended.ended_reason == "customer-ended-call"
    assert ended.started_at and ended.ended_at and ended.ended_at >= ended.started_at
    assert "User: (user spoke for 0.4 s)" in ended.artifact.transcript
    assert "the user spoke 1 time (0.4 s in all)" in ended.analysis.summary
    assert ended.cost == 0 and ended.cost_breakdown.total == 0
    assert ended.messages[0].role == "user"


async def test_end_call_on_the_socket_ends_the_call_as_the_customer(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi)
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.ws.send_str(json.dumps({"type": "hangup"}))

    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "customer-ended-call"
    await socket.wait_closed()
    assert (await vapi.calls.get(call.id)).ended_reason == "customer-ended-call"


async def test_a_silent_call_times_out(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi, silenceTimeoutSeconds=0.5)
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(silence(0.3))

    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "silence-timed-out"
    await socket.wait_closed()


async def test_a_call_ends_at_its_maximum_duration(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi, maxDurationSeconds=0.5)
    socket = await CallSocket.connect(http, websocket_call_url(call))

    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "exceeded-max-duration"
    assert (await vapi.calls.get(call.id)).ended_reason == "exceeded-max-duration"


async def test_a_call_takes_only_one_transport_connection(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi)
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.wait_event("status-update", status="in-progress")

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(websocket_call_url(call))
    assert refused.value.status == 409
    await socket.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as ended:
        await http.ws_connect(websocket_call_url(call))
    assert ended.value.status == 409


async def test_speaking_over_the_echo_interrupts_it(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi, metadata={"sandbox": {"replyDelayMs": 0}})
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 1.0) + silence(0.5))  # the echo is playing by now

    await socket.send_paced(tone(660, 0.3))
    await socket.wait_event("user-interrupted")
    await asyncio.sleep(0.1)
    heard = len(socket.received_pcm())
    await socket.send_paced(silence(0.2))

    assert len(socket.received_pcm()) == heard  # nothing more of the old reply
    stopped = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert "interrupted" in stopped["transcript"]
    await socket.close()


async def test_garbage_on_the_socket_is_ignored_and_the_call_still_answers(
    vapi: AsyncVapi, http
) -> None:
    call = await echo_call(vapi, metadata={"sandbox": {"replyDelayMs": 100}})
    socket = await CallSocket.connect(http, websocket_call_url(call))
    for junk in ("{not json", "[1, 2]", '{"type": "dance"}', '{"type": "say"}', "null"):
        await socket.ws.send_str(junk)
    await socket.ws.send_bytes(b"\x01")  # half a sample

    await socket.send_paced(b"\x00" + tone(440, 0.5)[:-1] + silence(0.6))
    reply = await socket.wait_audio(0.5)
    assert voiced_seconds(reply) >= 0.4
    await socket.close()


async def test_a_broken_text_frame_closes_only_that_call(
    vapi: AsyncVapi, http, vapi_server: VapiServer
) -> None:
    broken = await CallSocket.connect(http, websocket_call_url(await echo_call(vapi)))
    healthy_call = await echo_call(vapi, metadata={"sandbox": {"replyDelayMs": 0}})
    healthy = await CallSocket.connect(http, websocket_call_url(healthy_call))

    await broken.ws.send_frame(b"\xff\xfe\xfd", aiohttp.WSMsgType.TEXT)  # not UTF-8
    await broken.wait_closed()
    await healthy.send_paced(tone(440, 0.4) + silence(0.4))
    assert voiced_seconds(await healthy.wait_audio(0.4)) >= 0.3
    await healthy.close()


async def test_a_call_nobody_connects_to_expires(http) -> None:
    server, runner = await start_vapi_server(VapiSandbox(API_KEY, queued_timeout_s=0.2))
    try:
        client = server.client()
        call = await client.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())
        await asyncio.sleep(0.4)
        expired = await client.calls.get(call.id)
        assert expired.status == "ended"
        assert expired.ended_reason == "call.in-progress.error-vapifault-transport-never-connected"
    finally:
        await server.sandbox.close()
        await runner.cleanup()


async def test_closing_the_sandbox_ends_live_calls(
    vapi: AsyncVapi, http, vapi_server: VapiServer
) -> None:
    call = await echo_call(vapi)
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.wait_event("status-update", status="in-progress")

    await vapi_server.sandbox.close()

    update = await socket.wait_event("status-update", status="ended")
    assert update["endedReason"] == "worker-shutdown"
    await socket.wait_closed()


async def wait_until_ended(vapi: AsyncVapi, call_id: str, timeout: float = 3.0):
    async with asyncio.timeout(timeout):
        while True:
            call = await vapi.calls.get(call_id)
            if call.status == "ended":
                return call
            await asyncio.sleep(0.05)


async def test_say_on_the_socket_speaks_and_reports_the_text(vapi: AsyncVapi, http) -> None:
    call = await echo_call(vapi)
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.ws.send_str(json.dumps({"type": "say", "content": "Testing"}))

    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert said["transcript"] == "Testing"
    assert_is_speech_of("Testing", socket.received_pcm())
    await socket.close()


async def test_a_plain_http_request_to_the_transport_leaves_the_call_queued(
    vapi: AsyncVapi, http
) -> None:
    call = await echo_call(vapi)
    socket_url = websocket_call_url(call).replace("ws://", "http://")

    async with http.get(socket_url) as response:
        assert response.status == 400
    assert (await vapi.calls.get(call.id)).status == "queued"
