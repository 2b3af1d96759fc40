"""The gateway asks VAPI for live events and steers a call beyond say and end: the real
vapi SDK against the sandbox."""

from __future__ import annotations

import pytest
from core_waits import poll_until

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.redact import MASK
from voicepanel.core.vapi_gateway import CallInfo, EventSubscription, VapiGateway
from voicepanel.sandbox.server import SandboxConfig

EVENTS = EventSubscription(
    url="http://127.0.0.1:5999/vapi/events",
    secret="per-profile-secret-9f2c",
    timeout_s=20.0,
    messages=("status-update", "transcript", "tool-calls"),
)


async def _echo(vapi: VapiGateway) -> str:
    return next(a.id for a in await vapi.list_assistants() if a.name == "Echo")


async def test_a_saved_assistant_gets_the_server_through_its_overrides(vapi: VapiGateway) -> None:
    call = await vapi.create_call(assistant_id=await _echo(vapi), events=EVENTS)
    overrides = call.raw["assistantOverrides"]
    assert overrides["server"]["url"] == EVENTS.url
    assert overrides["server"]["timeoutSeconds"] == 20
    assert overrides["server"]["headers"] == {"X-Vapi-Secret": MASK}
    assert overrides["serverMessages"] == list(EVENTS.messages)
    assert EVENTS.secret not in repr(call)


async def test_an_inline_assistant_gets_the_server_inside_it(vapi: VapiGateway) -> None:
    call = await vapi.create_call(assistant={"name": "Inline", "firstMessage": "Hi"}, events=EVENTS)
    assistant = call.raw["assistant"]
    assert assistant["name"] == "Inline" and assistant["server"]["url"] == EVENTS.url
    assert assistant["serverMessages"] == list(EVENTS.messages)
    assert "assistantOverrides" not in call.raw


async def _live_call(fishjam: FishjamGateway, vapi: VapiGateway, key: str) -> CallInfo:
    room = await fishjam.create_room(RoomSpec())
    call = await vapi.create_call(assistant_id=await _echo(vapi))
    await fishjam.create_vapi_peer(room.id, key, call.id)
    return await poll_until(lambda: vapi.get_call(call.id), lambda c: c.status == "in-progress")


async def test_a_message_can_be_added_and_the_assistant_muted(
    fishjam: FishjamGateway, vapi: VapiGateway, sandbox_config: SandboxConfig
) -> None:
    call = await _live_call(fishjam, vapi, sandbox_config.vapi_key)
    await vapi.add_message(call, "system", "The order number is 15.", trigger_response=False)
    await vapi.add_message(call, "user", "What is my order number?")
    await vapi.set_assistant_muted(call, True)
    await vapi.set_assistant_muted(call, False)
    messages = await poll_until(
        lambda: vapi.get_call(call.id),
        lambda c: any("order number is 15" in str(m) for m in c.messages),
    )
    assert messages
    with pytest.raises(VoicePanelError) as info:
        await vapi.add_message(call, "robot", "beep")
    assert "Choose user or system" in info.value.hint
    await vapi.end_call(call)
