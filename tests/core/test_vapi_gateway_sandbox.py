"""VapiGateway with the real vapi SDK against the sandbox's VAPI side, over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from core_waits import poll_until
from local_server import serving

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.vapi_gateway import CallInfo, VapiGateway, ended_reason_group
from voicepanel.sandbox.server import Sandbox, SandboxConfig

INLINE = {
    "name": "Inline echo",
    "firstMessage": "Hi!",
    "metadata": {"sandbox": {"behavior": "echo", "replyDelayMs": 100}},
}


async def _assistant_id(vapi: VapiGateway, name: str) -> str:
    return next(a.id for a in await vapi.list_assistants() if a.name == name)


async def test_lists_the_builtin_assistants(vapi: VapiGateway) -> None:
    names = [a.name for a in await vapi.list_assistants()]
    assert "Echo" in names and "Greeter" in names


async def test_create_call_with_an_assistant_id(
    vapi: VapiGateway, sandbox_config: SandboxConfig
) -> None:
    call = await vapi.create_call(assistant_id=await _assistant_id(vapi, "Echo"))
    assert call.status == "queued" and call.ended_reason is None
    assert call.assistant_name == "Echo"
    assert call.websocket_call_url and call.websocket_call_url.startswith("ws")
    assert call.control_url and call.listen_url
    assert call.raw["transport"]["audioFormat"]["format"] == "pcm_s16le"
    assert sandbox_config.vapi_key not in repr(call)

    fetched = await vapi.get_call(call.id)
    assert fetched.id == call.id and fetched.control_url == call.control_url
    assert call.id in [c.id for c in await vapi.list_calls()]


async def test_create_call_with_an_inline_assistant(vapi: VapiGateway) -> None:
    call = await vapi.create_call(assistant=INLINE)
    assert call.status == "queued" and call.assistant_name == "Inline echo"


async def _live_call(fishjam: FishjamGateway, vapi: VapiGateway, key: str) -> CallInfo:
    room = await fishjam.create_room(RoomSpec())
    call = await vapi.create_call(assistant_id=await _assistant_id(vapi, "Echo"))
    peer = await fishjam.create_vapi_peer(room.id, key, call.id)
    assert peer.type == "vapi"
    return await poll_until(lambda: vapi.get_call(call.id), lambda c: c.status == "in-progress")


async def test_say_and_end_call_steer_a_call_fishjam_carries(
    fishjam: FishjamGateway, vapi: VapiGateway, sandbox_config: SandboxConfig
) -> None:
    call = await _live_call(fishjam, vapi, sandbox_config.vapi_key)
    await vapi.say(call, "Hello from the test.")
    await vapi.end_call(call)
    ended = await poll_until(lambda: vapi.get_call(call.id), lambda c: c.status == "ended")
    assert ended.ended_reason
    assert ended_reason_group(ended.ended_reason) != "not ended"
    assert ended.ended_at


async def test_steering_an_ended_call_says_it_is_not_live(
    fishjam: FishjamGateway, vapi: VapiGateway, sandbox_config: SandboxConfig
) -> None:
    call = await _live_call(fishjam, vapi, sandbox_config.vapi_key)
    await vapi.end_call(call)
    await poll_until(lambda: vapi.get_call(call.id), lambda c: c.status == "ended")
    with pytest.raises(VoicePanelError) as info:
        await vapi.say(call, "Too late.")
    assert info.value.status == 409 and "is not live" in info.value.message


async def test_wrong_vapi_key_says_which_setting_to_fix(sandbox: Sandbox) -> None:
    wrong = "wrong-vapi-key-123456"
    gateway = VapiGateway(wrong, base_url=sandbox.vapi_base_url)
    try:
        with pytest.raises(VoicePanelError) as info:
            await gateway.list_assistants()
    finally:
        await gateway.close()
    assert info.value.status == 401
    assert "VAPI rejected the API key." in info.value.message
    assert wrong not in str(info.value)


async def test_unknown_call_says_it_no_longer_exists(vapi: VapiGateway) -> None:
    with pytest.raises(VoicePanelError) as info:
        await vapi.get_call("no-such-call")
    assert info.value.status == 404 and "no-such-call" in info.value.message


@pytest.fixture
async def web_page_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A web server that is not VAPI: every path answers an HTML page, /gateway with a 502
    (a proxy in front of nothing); yields its URL and the paths it was asked for."""
    asked: list[str] = []

    async def page(request: web.Request) -> web.Response:
        asked.append(request.path)
        status = 502 if request.path.startswith("/gateway") else 200
        return web.Response(status=status, text="<html>Welcome</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    async with serving(app) as url:
        yield url, asked


async def test_an_address_that_is_not_vapi_says_so(
    web_page_server: tuple[str, list[str]],
) -> None:
    gateway = VapiGateway("some-vapi-key-123456", base_url=web_page_server[0])
    try:
        with pytest.raises(VoicePanelError) as info:
            await gateway.get_call("c1")
    finally:
        await gateway.close()
    assert info.value.message.startswith("Could not read call c1.")
    assert "VAPI sent an answer VoicePanel could not read" in info.value.message
    assert "points to VAPI" in info.value.hint


async def test_a_proxy_error_is_retried_then_said_as_a_server_error(
    web_page_server: tuple[str, list[str]],
) -> None:
    url, asked = web_page_server
    gateway = VapiGateway("some-vapi-key-123456", base_url=url + "/gateway")
    try:
        with pytest.raises(VoicePanelError) as info:
            await gateway.create_call(assistant=INLINE)
    finally:
        await gateway.close()
    assert info.value.status == 502
    assert "VAPI had a server error (HTTP 502)" in info.value.message
    assert asked == ["/gateway/call"] * 3  # the SDK's client tried twice more, as it does
