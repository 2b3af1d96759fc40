"""The VAPI sandbox's REST API through the real `vapi` SDK: assistants, calls, errors."""

from __future__ import annotations

import asyncio

import pytest
from vapi import AsyncVapi, Vapi
from vapi.core.api_error import ApiError
from vapi.errors import BadRequestError
from vapi.types import Assistant, Call
from vapi_harness import (
    API_KEY,
    END_OF_TURN_S,
    REPLY_DELAY_S,
    VapiServer,
    transport,
    websocket_call_url,
)

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID, GREETER_ASSISTANT_ID


async def test_listing_assistants_shows_the_built_in_ones_with_their_timing(
    vapi: AsyncVapi,
) -> None:
    assistants = await vapi.assistants.list(limit=10)

    by_name = {a.name: a for a in assistants}
    assert set(by_name) == {"Echo", "Greeter", "Scripted", "Order desk"}
    assert by_name["Echo"].id == ECHO_ASSISTANT_ID
    assert by_name["Greeter"].id == GREETER_ASSISTANT_ID
    assert by_name["Greeter"].first_message
    assert by_name["Echo"].metadata == {"sandbox": {"behavior": "echo"}}
    plan = by_name["Echo"].start_speaking_plan
    assert plan.wait_seconds == REPLY_DELAY_S
    assert plan.transcription_endpointing_plan.on_no_punctuation_seconds == END_OF_TURN_S
    assert by_name["Order desk"].model.tools[0].function.name == "lookup_order"
    assert len(await vapi.assistants.list(limit=1)) == 1
    assert (await vapi.assistants.get(GREETER_ASSISTANT_ID)).name == "Greeter"


async def test_creating_a_call_for_an_assistant_gives_a_queued_websocket_call(
    vapi: AsyncVapi, vapi_server: VapiServer
) -> None:
    call = await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())

    assert isinstance(call, Call)
    assert call.type == "vapi.websocketCall"
    assert call.status == "queued"
    assert call.assistant_id == ECHO_ASSISTANT_ID
    assert call.org_id and call.created_at and call.updated_at
    base = vapi_server.base_url.replace("http://", "")
    assert websocket_call_url(call) == f"ws://{base}/call/{call.id}/transport"
    assert call.monitor.control_url == f"http://{base}/call/{call.id}/control"
    assert call.monitor.listen_url == f"ws://{base}/call/{call.id}/listen"
    assert call.transport.audio_format.sample_rate == 16000


async def test_creating_a_call_with_an_inline_assistant_echoes_it_back(vapi: AsyncVapi) -> None:
    assistant = {
        "name": "Slow echo",
        "firstMessage": "Hi",
        "metadata": {"sandbox": {"behavior": "echo", "replyDelayMs": 900}},
    }
    call = await vapi.calls.create(assistant=assistant, transport=transport(24000))

    assert call.assistant_id is None
    assert call.assistant.name == "Slow echo"
    assert call.assistant.metadata == assistant["metadata"]
    assert call.transport.audio_format.sample_rate == 24000


async def test_every_response_validates_strictly_against_the_sdk_models(
    vapi_server: VapiServer, http
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    base = vapi_server.base_url
    body = {"assistantId": GREETER_ASSISTANT_ID, "transport": transport()}
    async with http.post(f"{base}/call", json=body, headers=headers) as response:
        assert response.status == 201
        created = await response.json()
    Call.model_validate(created)
    async with http.ws_connect(created["transport"]["websocketCallUrl"]) as ws:
        await ws.send_str('{"type": "end-call"}')
        async for _ in ws:
            pass
    async with http.get(f"{base}/call/{created['id']}", headers=headers) as response:
        ended = await response.json()

    call = Call.model_validate(ended)
    assert call.status == "ended"
    assert call.artifact is not None and call.analysis is not None
    async with http.get(f"{base}/assistant", headers=headers) as response:
        for assistant in await response.json():
            Assistant.model_validate(assistant)


async def test_the_blocking_client_gets_lists_and_deletes_calls(vapi_server: VapiServer) -> None:
    def story() -> None:
        client = Vapi(token=API_KEY, base_url=vapi_server.base_url)
        first = client.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())
        second = client.calls.create(assistant_id=GREETER_ASSISTANT_ID, transport=transport())

        assert client.calls.get(first.id).id == first.id
        assert [c.id for c in client.calls.list()] == [second.id, first.id]
        assert [c.id for c in client.calls.list(limit=1)] == [second.id]
        assert [c.id for c in client.calls.list(assistant_id=ECHO_ASSISTANT_ID)] == [first.id]

        deleted = client.calls.delete(first.id)
        assert deleted.id == first.id
        with pytest.raises(ApiError) as missing:
            client.calls.get(first.id)
        assert missing.value.status_code == 404
        assert [c.id for c in client.calls.list()] == [second.id]

    await asyncio.to_thread(story)


async def test_a_wrong_or_missing_api_key_is_refused_with_401(
    vapi_server: VapiServer, http
) -> None:
    with pytest.raises(ApiError) as refused:
        await vapi_server.client(token="not-the-key").calls.list()
    assert refused.value.status_code == 401
    assert refused.value.body["statusCode"] == 401
    assert "Invalid Key" in refused.value.body["message"]

    async with http.get(f"{vapi_server.base_url}/assistant") as response:
        assert response.status == 401
        assert (await response.json())["error"] == "Unauthorized"


async def test_an_unknown_call_or_assistant_is_404(vapi: AsyncVapi) -> None:
    for request in (
        vapi.calls.get("00000000-0000-4000-8000-000000000000"),
        vapi.calls.delete("00000000-0000-4000-8000-000000000000"),
        vapi.assistants.get("no-such-assistant"),
    ):
        with pytest.raises(ApiError) as missing:
            await request
        assert missing.value.status_code == 404
        assert "not found" in missing.value.body["message"]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"transport": transport()}, "assistantId or assistant is required"),
        ({"assistantId": "nope", "transport": transport()}, "does not exist"),
        ({"assistantId": ECHO_ASSISTANT_ID}, "transport is required"),
        (
            {"assistantId": ECHO_ASSISTANT_ID, "transport": {"provider": "twilio"}},
            "transport.provider",
        ),
        ({"assistantId": ECHO_ASSISTANT_ID, "transport": transport(12345)}, "sampleRate"),
        (
            {
                "assistantId": ECHO_ASSISTANT_ID,
                "transport": {"provider": "vapi.websocket", "audioFormat": {"format": "mulaw"}},
            },
            "pcm_s16le",
        ),
        (
            {
                "assistant": {"metadata": {"sandbox": {"behavior": "poet"}}},
                "transport": transport(),
            },
            "behavior",
        ),
        (
            {
                "assistant": {"metadata": {"sandbox": {"replyDelayMs": -5}}},
                "transport": transport(),
            },
            "replyDelayMs",
        ),
    ],
)
async def test_an_invalid_call_request_is_400_saying_what_is_wrong(
    vapi_server: VapiServer, http, body: dict, complaint: str
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with http.post(f"{vapi_server.base_url}/call", json=body, headers=headers) as response:
        assert response.status == 400
        assert complaint in (await response.json())["message"]


async def test_a_call_body_that_is_not_json_is_400(vapi_server: VapiServer, http) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    async with http.post(f"{vapi_server.base_url}/call", data=b"{nope", headers=headers) as r:
        assert r.status == 400
        assert "not valid JSON" in (await r.json())["message"]


async def test_the_sdk_raises_its_bad_request_error_for_a_bad_call(vapi: AsyncVapi) -> None:
    with pytest.raises(BadRequestError) as refused:
        await vapi.calls.create(assistant_id="nope", transport=transport())
    assert "does not exist" in refused.value.body["message"]


async def test_the_sdks_other_common_calls_answer_in_shape(vapi: AsyncVapi) -> None:
    first = await vapi.calls.create(assistant_id=ECHO_ASSISTANT_ID, transport=transport())
    second = await vapi.calls.create(assistant_id=GREETER_ASSISTANT_ID, transport=transport())

    after_first = await vapi.calls.list(created_at_gt=first.created_at)
    assert [c.id for c in after_first] == [second.id]
    assert await vapi.calls.list(updated_at_lt=first.created_at) == []
    assert await vapi.calls.list(phone_number_id="any") == []
    renamed = await vapi.calls.update(first.id, name="First call")
    assert renamed.name == "First call"
    assert (await vapi.calls.get(first.id)).name == "First call"
    assistant = await vapi.assistants.get(GREETER_ASSISTANT_ID)
    assert isinstance(assistant, Assistant) and assistant.first_message
    assert len(await vapi.assistants.list(created_at_ge=assistant.created_at)) == 4
    assert await vapi.assistants.list(created_at_gt=assistant.created_at) == []
