"""Hostile input on every /vapi route is a 4xx with a sentence, never a 500: deep nesting,
numbers JSON cannot hold, oversized bodies, wrong types, bad query values."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from vapi_harness import API_KEY, VapiServer, transport

from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID

AUTH = {"Authorization": f"Bearer {API_KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
DEEP = "[" * 5000 + "]" * 5000
NESTED_100 = '{"a":' * 100 + "1" + "}" * 100
ODD_VALUES: list[Any] = [None, True, 0, -1, 1e308, "", "x" * 5000, [], [1, "a"], {}, {"a": {}}]


async def status_and_message(response: Any) -> tuple[int, Any]:
    body = await response.json()
    return response.status, body["message"]


@pytest.mark.parametrize(
    "raw",
    [
        DEEP,
        NESTED_100,
        '{"assistantId": NaN}',
        '{"assistantId": Infinity}',
        '{"transport": {"audioFormat": {"sampleRate": 1e999}}}',
        '{"assistantId": 1' + "0" * 5000 + "}",
        "{nope",
        b"\xff\xfe{}",
        '{"assistant": {"server": {"url": "http://x", "timeoutSeconds": -Infinity}}}',
    ],
)
async def test_bodies_no_json_api_should_take_are_400(
    vapi_server: VapiServer, http, raw: str | bytes
) -> None:
    data = raw.encode() if isinstance(raw, str) else raw
    async with http.post(f"{vapi_server.base_url}/call", data=data, headers=JSON) as response:
        status, message = await status_and_message(response)
    assert status == 400
    assert isinstance(message, str) and message.endswith(".")


async def test_an_oversized_body_is_413(vapi_server: VapiServer, http) -> None:
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with http.post(f"{vapi_server.base_url}/call", data=huge, headers=JSON) as response:
        status, message = await status_and_message(response)
    assert status == 413
    assert "larger than" in message


async def test_wrong_types_in_every_call_field_are_400(vapi_server: VapiServer, http) -> None:
    fields = ["assistantId", "assistant", "assistantOverrides", "transport", "name", "customer"]
    seen = set()
    for field, value in itertools.product(fields, ODD_VALUES):
        body = {"assistantId": ECHO_ASSISTANT_ID, "transport": transport(), field: value}
        if field == "assistant":
            body.pop("assistantId")
        async with http.post(f"{vapi_server.base_url}/call", json=body, headers=AUTH) as response:
            seen.add(response.status)
            assert response.status < 500, (field, value, await response.text())
    assert seen <= {201, 400}
    assert 400 in seen


@pytest.mark.parametrize(
    "query",
    [
        "limit=NaN",
        "limit=inf",
        "limit=-1",
        "limit=1e999",
        "limit=abc",
        "limit=5000",
        "createdAtGt=yesterday",
        "updatedAtLe=2026-13-45T00:00:00Z",
    ],
)
async def test_bad_list_queries_are_400(vapi_server: VapiServer, http, query: str) -> None:
    for path in ("/call", "/assistant"):
        async with http.get(f"{vapi_server.base_url}{path}?{query}", headers=AUTH) as response:
            status, message = await status_and_message(response)
        assert status == 400, (path, query)
        assert query.split("=")[0] in message


async def test_the_control_url_and_call_update_refuse_hostile_bodies(
    vapi_server: VapiServer, http
) -> None:
    body = {"assistantId": ECHO_ASSISTANT_ID, "transport": transport()}
    async with http.post(f"{vapi_server.base_url}/call", json=body, headers=AUTH) as response:
        call = await response.json()
    control = call["monitor"]["controlUrl"]
    for raw in (DEEP, '{"type": "say", "content": NaN}', "[]", '{"type": "say", "content": 5}'):
        async with http.post(control, data=raw, headers=JSON) as response:
            assert response.status in (400, 409), raw
    async with http.post(control, data=b"x" * (2 * 1024 * 1024), headers=JSON) as response:
        assert response.status == 413
    patch = f"{vapi_server.base_url}/call/{call['id']}"
    for raw in (DEEP, '{"name": 5}', '{"colour": "red"}', "[]"):
        async with http.patch(patch, data=raw, headers=JSON) as response:
            assert response.status == 400, raw
    async with http.patch(patch, json={"name": "Renamed"}, headers=AUTH) as response:
        assert (await response.json())["name"] == "Renamed"
