"""The sandbox's assistants speak in words: the Greeter's first message, a Scripted
assistant's lines (in order, or by keyword), and the timing an assistant's JSON sets."""

from __future__ import annotations

import json

import pytest
from vapi import AsyncVapi
from vapi_harness import (
    END_OF_TURN_S,
    CallSocket,
    assert_is_speech_of,
    silence,
    tone,
    transport,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import GREETER_ASSISTANT_ID, SCRIPTED_ASSISTANT_ID
from voicepanel.sandbox.vapi.assistants import GREETER_FIRST_MESSAGE


async def test_the_greeter_says_its_first_message_in_words(vapi: AsyncVapi, http) -> None:
    call = await vapi.calls.create(assistant_id=GREETER_ASSISTANT_ID, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))

    greeting = await socket.wait_event(
        "transcript", role="assistant", transcriptType="final", timeout=8
    )
    assert greeting["transcript"] == GREETER_FIRST_MESSAGE
    assert_is_speech_of(GREETER_FIRST_MESSAGE, socket.received_pcm())
    await socket.close()


async def test_an_inline_greeter_at_24_khz_greets_with_its_own_first_message(
    vapi: AsyncVapi, http
) -> None:
    assistant = {"firstMessage": "Welcome!", "metadata": {"sandbox": {"behavior": "greeter"}}}
    call = await vapi.calls.create(assistant=assistant, transport=transport(24000))
    socket = await CallSocket.connect(http, websocket_call_url(call))

    greeting = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert greeting["transcript"] == "Welcome!"
    assert_is_speech_of("Welcome!", socket.received_pcm(), rate=24000)
    assert all(len(frame) == 960 for _, frame in socket.audio)  # 20 ms at 24 kHz
    await socket.close()


async def test_an_assistant_sets_its_reply_delay_with_vapis_wait_seconds(
    vapi: AsyncVapi, http
) -> None:
    assistant = {"name": "Quick", "startSpeakingPlan": {"waitSeconds": 0.1}}
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))

    spoke_until = await socket.send_paced(tone(440, 0.5))
    await socket.wait_audio(0.1)

    assert socket.audio[0][0] - spoke_until == pytest.approx(END_OF_TURN_S + 0.1, abs=0.08)
    await socket.close()


async def test_an_assistant_that_waits_for_the_user_stays_quiet(vapi: AsyncVapi, http) -> None:
    assistant = {"firstMessage": "Hi", "firstMessageMode": "assistant-waits-for-user"}
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(silence(0.3))
    assert socket.received_pcm() == b""

    await socket.ws.send_str('{"type": "control", "control": "say-first-message"}')
    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert said["transcript"] == "Hi"
    await socket.close()


async def say_as_user(http, control_url: str, words: str) -> None:
    body = {
        "type": "add-message",
        "message": {"role": "user", "content": words},
        "triggerResponseEnabled": True,
    }
    async with http.post(control_url, json=body) as response:
        assert response.status == 200


async def assistant_lines(socket: CallSocket, count: int) -> list[str]:
    said = await socket.wait_events("transcript", count, role="assistant")
    return [event["transcript"] for event in said]


async def test_the_scripted_assistant_answers_its_lines_in_order_and_by_keyword(
    vapi: AsyncVapi, http
) -> None:
    call = await vapi.calls.create(assistant_id=SCRIPTED_ASSISTANT_ID, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await assistant_lines(socket, 1)  # the first message

    await socket.send_paced(tone(440, 0.4))  # a spoken turn: the next line
    await assistant_lines(socket, 2)
    await say_as_user(http, call.monitor.control_url, "I would like a REFUND please")
    await assistant_lines(socket, 3)
    await say_as_user(http, call.monitor.control_url, "Thanks")

    lines = await assistant_lines(socket, 4)
    assert lines == [
        "Hello, this is the scripted sandbox assistant. How can I help?",
        "I can help with that. What is your order number?",
        "Refunds take five business days.",
        "Thank you. Your order shipped on Monday.",
    ]
    record = await vapi.calls.get(call.id)
    assert [m.message for m in record.messages if m.role == "user"] == [
        "(user spoke for 0.4 s)",
        "I would like a REFUND please",
        "Thanks",
    ]
    await socket.close()


async def test_a_scripted_assistant_with_an_end_call_tool_hangs_up_after_its_last_line(
    vapi: AsyncVapi, http
) -> None:
    assistant = {
        "firstMessageMode": "assistant-waits-for-user",
        "model": {"provider": "openai", "model": "gpt-4o-mini", "tools": [{"type": "endCall"}]},
        "metadata": {"sandbox": {"behavior": "scripted", "lines": ["One.", "Goodbye."]}},
    }
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await say_as_user(http, call.monitor.control_url, "Hello")
    await assistant_lines(socket, 1)
    await say_as_user(http, call.monitor.control_url, "Bye")

    update = await socket.wait_event("status-update", status="ended", timeout=8)
    assert update["endedReason"] == "assistant-ended-call"
    assert (await assistant_lines(socket, 2)) == ["One.", "Goodbye."]


async def test_an_end_call_phrase_in_what_the_assistant_says_ends_the_call(
    vapi: AsyncVapi, http
) -> None:
    assistant = {"endCallPhrases": ["talk to you later"]}
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.ws.send_str(json.dumps({"type": "say", "content": "OK, talk to you later!"}))

    update = await socket.wait_event("status-update", status="ended", timeout=8)
    assert update["endedReason"] == "assistant-said-end-call-phrase"


async def test_an_echo_answers_a_text_turn_by_saying_the_words(vapi: AsyncVapi, http) -> None:
    call = await vapi.calls.create(
        assistant={"startSpeakingPlan": {"waitSeconds": 0}}, transport=transport()
    )
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await say_as_user(http, call.monitor.control_url, "Testing one two")

    assert await assistant_lines(socket, 1) == ["Testing one two"]
    assert_is_speech_of("Testing one two", socket.received_pcm())
    await socket.close()
