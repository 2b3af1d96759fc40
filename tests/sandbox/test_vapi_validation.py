"""Assistants are checked against VAPI's published schema, by the sandbox as VAPI does (a
400 naming each field) and from the same data file, which the SDK regenerates."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from vapi import AsyncVapi
from vapi.errors import BadRequestError
from vapi_harness import API_KEY, VapiServer, transport

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID

ROOT = Path(__file__).resolve().parents[2]
A_REAL_ASSISTANT = {
    "name": "Support",
    "firstMessage": "Hi, how can I help?",
    "model": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are brief."}],
        "tools": [{"type": "endCall"}],
    },
    "voice": {"provider": "vapi", "voiceId": "Elliot"},
    "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "en"},
    "startSpeakingPlan": {"waitSeconds": 0.6},
    "serverMessages": ["status-update", "end-of-call-report"],
    "metadata": {"team": "qa"},
}


async def post_call(server: VapiServer, http, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with http.post(f"{server.base_url}/call", json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_a_real_assistant_is_accepted_as_it_would_be_by_vapi(vapi: AsyncVapi) -> None:
    call = await vapi.calls.create(assistant=A_REAL_ASSISTANT, transport=transport())
    assert call.assistant.model.provider == "openai"


@pytest.mark.parametrize(
    ("assistant", "problem"),
    [
        (
            {"model": {"provider": "openia", "model": "gpt-4o"}},
            "assistant.model.provider must be one of the following values: anthropic,",
        ),
        (
            {"voice": {"provider": "vapi", "voiceId": "Elliot"}, "colour": "red"},
            "assistant.property colour should not exist",
        ),
        ({"transcriber": {"provider": "whisper-local"}}, "assistant.transcriber.provider must be"),
        (
            {"voice": {"provider": "vapi", "voiceId": "Elliot", "pitch": 2}},
            "assistant.voice.property pitch should not exist",
        ),
        (
            {"firstMessageMode": "assistant-sings-first"},
            "assistant.firstMessageMode must be one of",
        ),
        ({"name": 42}, "assistant.name must be a string"),
        ({"voice": {"provider": "vapi"}}, "assistant.voice.voiceId should not be empty"),
    ],
)
async def test_what_vapi_refuses_is_a_400_naming_the_field(
    vapi_server: VapiServer, http, assistant: dict[str, Any], problem: str
) -> None:
    status, body = await post_call(
        vapi_server, http, {"assistant": assistant, "transport": transport()}
    )

    assert status == 400
    assert body["error"] == "Bad Request" and body["statusCode"] == 400
    assert any(line.startswith(problem) for line in body["message"]), body["message"]


async def test_overrides_and_the_call_body_are_checked_too(vapi_server: VapiServer, http) -> None:
    status, body = await post_call(
        vapi_server,
        http,
        {
            "assistantId": ECHO_ASSISTANT_ID,
            "assistantOverrides": {"voice": {"provider": "robot"}},
            "transport": transport(),
            "priority": "high",
        },
    )
    assert status == 400
    assert "property priority should not exist" in body["message"]
    assert any(m.startswith("assistantOverrides.voice.provider must be") for m in body["message"])


async def test_the_sdk_reads_the_refusal_as_its_bad_request(vapi: AsyncVapi) -> None:
    with pytest.raises(BadRequestError) as refused:
        await vapi.calls.create(assistant={"colour": "red"}, transport=transport())
    assert refused.value.body["message"] == ["assistant.property colour should not exist"]


async def test_legacy_fields_the_sandbox_honours_are_accepted(vapi: AsyncVapi) -> None:
    legacy = {"silenceTimeoutSeconds": 10, "serverUrl": "http://127.0.0.1:9/x"}
    call = await vapi.calls.create(assistant=legacy, transport=transport())
    assert call.status == "queued"


def test_the_schema_file_is_what_the_installed_sdk_generates(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "generate_vapi_schema.py"
    spec = importlib.util.spec_from_file_location("generate_vapi_schema", script)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.OUT = tmp_path / "assistant.json"

    assert generator.main() == 0
    committed = ROOT / "voicepanel" / "vapi_schema" / "assistant.json"
    assert generator.OUT.read_text() == committed.read_text(), (
        "voicepanel/vapi_schema/assistant.json is stale: run scripts/generate_vapi_schema.py"
    )
