"""Tool calls offline, end to end: a sandbox assistant calls the tools in its `model.tools`
through the Server URL, waits for the answer and says what it was."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from server_url_receiver import Receiver, server_url_receiver
from vapi import AsyncVapi
from vapi.types import ServerMessageToolCalls
from vapi_harness import CallSocket, tone, transport, websocket_call_url

from voicepanel.sandbox.vapi import ORDER_DESK_ASSISTANT_ID


@pytest.fixture
async def receiver() -> Any:
    async with server_url_receiver() as running:
        yield running


async def order_desk_call(vapi: AsyncVapi, http, receiver: Receiver, **server: Any) -> Any:
    overrides = {
        "server": {"url": receiver.url, **server},
        "firstMessageMode": "assistant-waits-for-user",
        "startSpeakingPlan": {"waitSeconds": 0},
    }
    call = await vapi.calls.create(
        assistant_id=ORDER_DESK_ASSISTANT_ID, assistant_overrides=overrides, transport=transport()
    )
    return call, await CallSocket.connect(http, websocket_call_url(call))


async def test_the_tools_answer_is_in_what_the_assistant_says(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    async def look_up(message: dict[str, Any]) -> dict[str, Any]:
        (call,) = message["toolCallList"]
        return {"results": [{"toolCallId": call["id"], "result": "shipped on Monday"}]}

    receiver.answers["tool-calls"] = look_up
    call, socket = await order_desk_call(vapi, http, receiver)
    await socket.send_paced(tone(440, 0.4))

    said = await socket.wait_event(
        "transcript", role="assistant", transcriptType="final", timeout=8
    )
    assert said["transcript"] == "lookup_order says: shipped on Monday"
    asked = (await receiver.wait_for("tool-calls")).message
    ServerMessageToolCalls.model_validate(asked)
    (tool_call,) = asked["toolCallList"]
    assert tool_call["type"] == "function"
    assert tool_call["function"]["name"] == "lookup_order"
    assert json.loads(tool_call["function"]["arguments"]) == {"orderNumber": "1234"}
    (with_tool,) = asked["toolWithToolCallList"]
    assert with_tool["function"]["name"] == "lookup_order" and with_tool["toolCall"] == tool_call
    await socket.close()
    record = await vapi.calls.get(call.id)
    roles = [m.role for m in record.messages]
    assert roles == ["user", "tool_calls", "tool_call_result", "bot"]
    assert record.messages[2].result == "shipped on Monday"


async def test_a_tool_error_and_a_tool_too_slow_are_said_as_such(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    async def refuse(message: dict[str, Any]) -> dict[str, Any]:
        (call,) = message["toolCallList"]
        return {"results": [{"toolCallId": call["id"], "error": "order not found"}]}

    receiver.answers["tool-calls"] = refuse
    _, socket = await order_desk_call(vapi, http, receiver)
    await socket.send_paced(tone(440, 0.4))
    said = await socket.wait_event(
        "transcript", role="assistant", transcriptType="final", timeout=8
    )
    assert said["transcript"] == "lookup_order failed: order not found"
    await socket.close()

    async def too_late(message: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(2.0)  # after the server's 1 s timeout
        return await refuse(message)

    receiver.answers["tool-calls"] = too_late
    _, socket = await order_desk_call(vapi, http, receiver, timeoutSeconds=1)
    await socket.send_paced(tone(440, 0.4))
    said = await socket.wait_event(
        "transcript", role="assistant", transcriptType="final", timeout=8
    )
    assert said["transcript"] == "lookup_order failed: did not answer within 1 s"
    await socket.close()


async def test_metadata_states_the_arguments_and_a_slow_tool_posts_hang(
    vapi: AsyncVapi, http, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voicepanel.sandbox.vapi import conversation

    monkeypatch.setattr(conversation, "HANG_AFTER_S", 0.2)

    async def slowly(message: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.5)
        return {
            "results": [{"toolCallId": c["id"], "result": "done"} for c in message["toolCallList"]]
        }

    receiver.answers["tool-calls"] = slowly
    tool = {
        "type": "function",
        "function": {"name": "book_table", "parameters": {"type": "object", "properties": {}}},
    }
    assistant = {
        "model": {"provider": "openai", "model": "gpt-4o-mini", "tools": [tool]},
        "server": {"url": receiver.url},
        "metadata": {
            "sandbox": {"behavior": "scripted", "toolArguments": {"book_table": {"people": 4}}}
        },
        "startSpeakingPlan": {"waitSeconds": 0},
    }
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await http.post(
        call.monitor.control_url,
        json={
            "type": "add-message",
            "message": {"role": "user", "content": "Table please"},
            "triggerResponseEnabled": True,
        },
    )
    said = await socket.wait_event(
        "transcript", role="assistant", transcriptType="final", timeout=8
    )

    assert said["transcript"] == "book_table says: done"
    asked = (await receiver.wait_for("tool-calls")).message
    assert json.loads(asked["toolCallList"][0]["function"]["arguments"]) == {"people": 4}
    assert receiver.types().index("hang") > receiver.types().index("tool-calls")
    await socket.close()


async def test_a_transfer_asks_where_to_and_forwards_the_call(
    vapi: AsyncVapi, http, receiver: Receiver
) -> None:
    async def destination(_: dict[str, Any]) -> dict[str, Any]:
        return {"destination": {"type": "number", "number": "+15550100"}}

    receiver.answers["transfer-destination-request"] = destination
    assistant = {
        "model": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "tools": [{"type": "transferCall"}],
        },
        "server": {"url": receiver.url},
        "serverMessages": ["status-update", "transfer-destination-request", "end-of-call-report"],
        "metadata": {"sandbox": {"behavior": "scripted", "transferOnTurn": 1}},
        "startSpeakingPlan": {"waitSeconds": 0},
    }
    call = await vapi.calls.create(assistant=assistant, transport=transport())
    socket = await CallSocket.connect(http, websocket_call_url(call))
    await socket.send_paced(tone(440, 0.4))

    update = await socket.wait_event("status-update", status="ended", timeout=8)
    assert update["endedReason"] == "assistant-forwarded-call"
    said = await socket.wait_event("transcript", role="assistant", transcriptType="final")
    assert said["transcript"] == "Transferring you to +15550100."
    await receiver.wait_for("end-of-call-report")
    statuses = [p.message.get("status") for p in receiver.posts if p.type == "status-update"]
    assert statuses == ["queued", "in-progress", "forwarding", "ended"]
    assert receiver.types().index("transfer-destination-request") < len(receiver.posts) - 3
