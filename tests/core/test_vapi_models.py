"""Reading VAPI call JSON into CallInfo, grouping endedReason, and checking call requests."""

from __future__ import annotations

import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_gateway import (
    VapiGateway,
    call_info_from_dict,
    ended_reason_group,
    transport_for,
)

KEY = "vapi-private-key-0123456789"

CALL = {
    "id": "c1",
    "type": "vapi.websocketCall",
    "status": "ended",
    "endedReason": "customer-ended-call",
    "assistantId": "a1",
    "createdAt": "2026-11-23T10:00:00Z",
    "startedAt": "2026-11-23T10:00:01Z",
    "endedAt": "2026-11-23T10:01:00Z",
    "transport": {"provider": "vapi.websocket", "websocketCallUrl": "ws://h/call/c1"},
    "monitor": {"controlUrl": "http://h/control/c1", "listenUrl": "ws://h/listen/c1"},
    "artifact": {"transcript": "AI: hi", "messages": [{"role": "bot", "message": "hi"}]},
    "analysis": {"summary": "short"},
    "cost": 0.02,
    "assistant": {"name": "Inline", "credentials": [{"apiKey": "provider-secret"}]},
    "note": f"made with {KEY}",
}


def test_call_json_becomes_call_info() -> None:
    info = call_info_from_dict(CALL, KEY)
    assert info.id == "c1" and info.status == "ended" and info.ended
    assert info.ended_reason == "customer-ended-call"
    assert info.websocket_call_url == "ws://h/call/c1"
    assert (info.control_url, info.listen_url) == ("http://h/control/c1", "ws://h/listen/c1")
    assert info.transcript == "AI: hi" and info.summary == "short" and info.cost == 0.02
    assert info.messages == ({"role": "bot", "message": "hi"},)
    assert info.assistant_name == "Inline"


def test_raw_call_json_never_holds_the_api_key() -> None:
    info = call_info_from_dict(CALL, KEY)
    assert KEY not in repr(info.raw)
    assert "provider-secret" not in repr(info.raw)
    assert info.raw["id"] == "c1"


def test_assistant_name_comes_from_the_list_when_the_call_has_only_an_id() -> None:
    data = {k: v for k, v in CALL.items() if k != "assistant"}
    assert call_info_from_dict(data, KEY, {"a1": "Echo"}).assistant_name == "Echo"


def test_missing_fields_are_none() -> None:
    info = call_info_from_dict({"id": "c2", "status": "queued"})
    assert info.control_url is None and info.cost is None and info.messages == ()


def test_transport_is_raw_pcm16_over_vapi_websocket() -> None:
    assert transport_for(16000) == {
        "provider": "vapi.websocket",
        "audioFormat": {"format": "pcm_s16le", "container": "raw", "sampleRate": 16000},
    }


@pytest.mark.parametrize(
    ("reason", "group"),
    [
        (None, "not ended"),
        ("customer-ended-call", "customer ended"),
        ("assistant-ended-call", "assistant ended"),
        ("assistant-said-end-call-phrase", "assistant ended"),
        ("call.in-progress.error-vapifault-openai-llm-failed", "VAPI fault"),
        ("call.in-progress.error-providerfault-openai-llm-failed", "provider fault"),
        ("pipeline-error-openai-llm-failed", "pipeline error"),
        ("call.start.error-get-assistant", "start error"),
        ("silence-timed-out", "silence timeout"),
        ("exceeded-max-duration", "max duration"),
        ("customer-did-not-answer", "no answer"),
        ("manually-canceled", "cancelled"),
        ("call.in-progress.error-transfer-failed", "call error"),
        ("something-new", "other"),
    ],
)
def test_ended_reasons_are_grouped(reason: str | None, group: str) -> None:
    assert ended_reason_group(reason) == group


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"assistant_id": "a1", "assistant": {"name": "x"}},
        {"assistant": "not a dict"},
        {"assistant_id": ""},
    ],
)
async def test_create_call_needs_exactly_one_assistant(kwargs: dict[str, object]) -> None:
    gateway = VapiGateway(KEY, base_url="http://127.0.0.1:9/vapi")
    try:
        with pytest.raises(VoicePanelError) as info:
            await gateway.create_call(**kwargs)  # type: ignore[arg-type]
        assert info.value.message.startswith("Could not start the VAPI call.")
    finally:
        await gateway.close()
