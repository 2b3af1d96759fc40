"""Server URL events: a receiver the test runs gets what a real VAPI call would post, in
order, with the call's headers, and a slow or failing receiver never touches the audio."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from server_url_receiver import Receiver, server_url_receiver
from vapi import AsyncVapi
from vapi.types import (
    ServerMessageConversationUpdate,
    ServerMessageEndOfCallReport,
    ServerMessageModelOutput,
    ServerMessageSpeechUpdate,
    ServerMessageStatusUpdate,
    ServerMessageToolCalls,
    ServerMessageTranscript,
    ServerMessageUserInterrupted,
)
from vapi_harness import (
    END_OF_TURN_S,
    REPLY_DELAY_S,
    CallSocket,
    silence,
    tone,
    transport,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID

EVERY_TYPE = [
    "status-update",
    "speech-update",
    "transcript",
    "conversation-update",
    "model-output",
    "user-interrupted",
    "hang",
    "tool-calls",
    "transfer-destination-request",
    "end-of-call-report",
]
SDK_TYPES = {
    "status-update": ServerMessageStatusUpdate,
    "speech-update": ServerMessageSpeechUpdate,
    "transcript": ServerMessageTranscript,
    "conversation-update": ServerMessageConversationUpdate,
    "model-output": ServerMessageModelOutput,
    "user-interrupted": ServerMessageUserInterrupted,
    "tool-calls": ServerMessageToolCalls,
    "end-of-call-report": ServerMessageEndOfCallReport,
}


@pytest.fixture
async def receiver() -> Any:
    async with server_url_receiver() as running:
        yield running


def server(receiver: Receiver, **extra: Any) -> dict[str, Any]:
    return {"url": receiver.url, **extra}


async def test_a_whole_call_posts_every_event_in_order_with_the_calls_headers(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    overrides = {
        "server": server(receiver, headers={"X-Vapi-Secret": "profile-secret"}),
        "serverMessages": EVERY_TYPE,
    }
    call = await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID, assistant_overrides=overrides, transport=transport()
    )
    await receiver.wait_for("status-update", status="queued")
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.6) + silence(0.1))  # then nothing at all
    await socket.wait_event("transcript", role="assistant", transcriptType="final", timeout=5)
    await socket.close()
    report = await receiver.wait_for("end-of-call-report")

    assert receiver.types(call.id) == [
        "status-update",  # queued
        "status-update",  # in-progress
        "speech-update",  # user started
        "transcript",  # partial
        "speech-update",  # user stopped
        "transcript",  # user final
        "conversation-update",
        "model-output",
        "speech-update",  # assistant started
        "speech-update",  # assistant stopped
        "transcript",  # assistant final
        "conversation-update",
        "status-update",  # ended
        "end-of-call-report",
    ]
    messages = [p.message for p in receiver.posts]
    assert [m["status"] for m in messages if m["type"] == "status-update"] == [
        "queued",
        "in-progress",
        "ended",
    ]
    speech = [(m["role"], m["status"]) for m in messages if m["type"] == "speech-update"]
    assert speech == [
        ("user", "started"),
        ("user", "stopped"),
        ("assistant", "started"),
        ("assistant", "stopped"),
    ]
    transcripts = [
        (m["role"], m["transcriptType"], m["transcript"])
        for m in messages
        if m["type"] == "transcript"
    ]
    assert transcripts == [
        ("user", "partial", "(user speaking)"),
        ("user", "final", "(user spoke for 0.6 s)"),
        ("assistant", "final", "(echo of 0.6 s)"),
    ]
    assert all(p.headers.get("X-Vapi-Secret") == "profile-secret" for p in receiver.posts)
    stamps = [m["timestamp"] for m in messages]
    assert stamps == sorted(stamps)
    for message in messages:
        assert message["call"]["id"] == call.id
        SDK_TYPES[message["type"]].model_validate(message)  # VAPI's own shapes
    assert report.message["endedReason"] == "customer-ended-call"
    assert report.message["artifact"]["transcript"] == (
        "User: (user spoke for 0.6 s)\nAI: (echo of 0.6 s)"
    )
    assert report.message["analysis"]["summary"]
    assert report.message["costs"][0]["type"] == "vapi"


async def test_without_server_messages_vapis_default_types_go_to_the_legacy_server_url(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    assistant = {
        "name": "Legacy",
        "serverUrl": receiver.url,
        "serverUrlSecret": "old-style-secret",
        "startSpeakingPlan": {"waitSeconds": 0},
    }
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.4))
    await socket.wait_event("transcript", role="assistant", transcriptType="final", timeout=5)
    await http.post(call.monitor.control_url, json={"type": "end-call"})
    report = await receiver.wait_for("end-of-call-report")

    # VAPI's default serverMessages has no transcript and no model-output.
    assert set(receiver.types(call.id)) == {
        "status-update",
        "speech-update",
        "conversation-update",
        "end-of-call-report",
    }
    assert all(p.headers.get("X-Vapi-Secret") == "old-style-secret" for p in receiver.posts)
    assert report.message["endedReason"] == "manually-canceled"
    await socket.close()


async def test_final_transcripts_only_come_under_their_own_type(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    final_only = 'transcript[transcriptType="final"]'
    overrides = {"server": server(receiver), "serverMessages": [final_only]}
    call = await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID, assistant_overrides=overrides, transport=transport()
    )
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.4))
    await receiver.wait_for(final_only, role="assistant")

    assert [(p.type, p.message["role"]) for p in receiver.posts] == [
        (final_only, "user"),
        (final_only, "assistant"),
    ]
    await socket.close()


async def test_a_slow_receiver_never_delays_the_assistants_audio(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    receiver.delay_s = 1.0  # every post takes a second to be answered
    overrides = {"server": server(receiver), "serverMessages": EVERY_TYPE}
    call = await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID, assistant_overrides=overrides, transport=transport()
    )
    socket = await CallSocket.connect(http, websocket_call_url(call))
    spoke_until = await socket.send_paced(tone(440, 1.0))
    await socket.wait_event("speech-update", role="assistant", status="stopped", timeout=5)
    posted_while_playing = len(receiver.posts)

    arrivals = [t for t, _ in socket.audio]
    assert arrivals[0] - spoke_until == pytest.approx(END_OF_TURN_S + REPLY_DELAY_S, abs=0.08)
    assert arrivals[-1] - arrivals[0] == pytest.approx((len(arrivals) - 1) * 0.02, abs=0.05)
    # The receiver was still working through the events while the reply played.
    assert posted_while_playing < 8
    await socket.close()


async def test_a_failing_receiver_is_retried_as_the_backoff_plan_says(
    vapi: AsyncVapi, receiver: Receiver
) -> None:
    plan = {"type": "fixed", "maxRetries": 2, "baseDelaySeconds": 0.05}
    receiver.failures = 2
    await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID,
        assistant_overrides={"server": server(receiver, backoffPlan=plan)},
        transport=transport(),
    )
    await asyncio.sleep(0.5)
    assert receiver.types() == ["status-update"] * 3  # two refusals, then delivered

    receiver.posts.clear()
    receiver.failures = 1
    await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID,
        assistant_overrides={"server": server(receiver)},  # VAPI's default: no retry
        transport=transport(),
    )
    await asyncio.sleep(0.3)
    assert receiver.types() == ["status-update"]


async def test_a_receiver_that_is_down_is_logged_once_and_the_call_goes_on(
    vapi: AsyncVapi, http, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = {"url": "http://127.0.0.1:9/events", "timeoutSeconds": 1}
    call = await vapi.calls.create(
        assistant_id=ECHO_ASSISTANT_ID,
        assistant_overrides={"server": nowhere, "serverMessages": EVERY_TYPE},
        transport=transport(),
    )
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.4))
    await socket.wait_event("transcript", role="assistant", transcriptType="final", timeout=5)
    await socket.close()

    warnings = [r for r in caplog.records if "127.0.0.1:9/events" in r.getMessage()]
    assert len(warnings) == 1
    assert "could not be reached" in warnings[0].getMessage()


@pytest.mark.parametrize(
    ("server_json", "complaint"),
    [
        ({"url": "ftp://example.com/x"}, "assistantOverrides.server.url"),
        ({"url": "http://x", "timeoutSeconds": 0}, "assistantOverrides.server.timeoutSeconds"),
        ({"url": "http://x", "headers": {"X-A": "a\r\nB: b"}}, "must not contain line breaks"),
        (
            {"url": "http://x", "backoffPlan": {"type": "random", "maxRetries": 1}},
            "backoffPlan.type",
        ),
    ],
)
async def test_a_server_the_sandbox_cannot_post_to_is_refused_naming_the_field(
    vapi_server: Any, http, server_json: dict[str, Any], complaint: str
) -> None:
    body = {
        "assistantId": ECHO_ASSISTANT_ID,
        "assistantOverrides": {"server": server_json},
        "transport": transport(),
    }
    headers = {"Authorization": "Bearer test-vapi-key"}
    async with http.post(f"{vapi_server.base_url}/call", json=body, headers=headers) as response:
        assert response.status == 400
        assert complaint in json.dumps(await response.json())
