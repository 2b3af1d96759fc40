"""The live events receiver over real sockets: VAPI's posts with the profile's secret come
through in order, and nothing else gets in or takes it down."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import time
import typing
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import vapi.types
from aiohttp import web
from core_waits import closed_port

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_events import (
    KNOWN_TYPES,
    CallEvent,
    EventReceiver,
    RejectedPost,
    check_public_url,
)

SECRET = "a-secret-only-this-profile-knows"


class Received:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self.rejected: list[RejectedPost] = []
        self.answer: dict[str, Any] | None = None
        self.fail_next = False

    async def handle(self, event: CallEvent) -> dict[str, Any] | None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the handler broke")
        self.events.append(event)
        return self.answer


@pytest.fixture
async def received() -> Received:
    return Received()


@pytest.fixture
async def receiver(received: Received) -> AsyncIterator[EventReceiver]:
    server = EventReceiver(SECRET, received.handle, on_rejected=received.rejected.append)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def message(kind: str, call_id: str = "call-1", **fields: Any) -> dict[str, Any]:
    return {
        "message": {
            "type": kind,
            "timestamp": time.time() * 1000,
            "call": {"id": call_id, "assistantOverrides": {"server": {"headers": {}}}},
            "artifact": {"messages": [{"role": "user", "message": "the whole call so far"}]},
            **fields,
        }
    }


async def post(
    receiver: EventReceiver, body: Any, secret: str | None = SECRET, **kwargs: Any
) -> tuple[int, Any]:
    headers = {"X-Vapi-Secret": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(receiver.local_url, json=body, headers=headers, **kwargs) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_events_with_the_secret_arrive_in_order_without_their_envelope(
    receiver: EventReceiver, received: Received
) -> None:
    sent = [
        message("status-update", status="in-progress"),
        message("speech-update", status="started", role="user", turn=0),
        message("transcript", role="user", transcriptType="partial", transcript="fif"),
        message("transcript", role="user", transcriptType="final", transcript="fifteen"),
        message("speech-update", status="stopped", role="user", turn=0),
    ]
    for body in sent:
        assert await post(receiver, body) == (200, {})
    assert [e.type for e in received.events] == [
        "status-update",
        "speech-update",
        "transcript",
        "transcript",
        "speech-update",
    ]
    final = received.events[3]
    assert final.call_id == "call-1" and final.details["transcript"] == "fifteen"
    assert final.at == pytest.approx(sent[3]["message"]["timestamp"] / 1000)
    # The bulky envelope is not kept: the call shrinks to its id, the live artifact goes.
    assert final.details["call"] == {"id": "call-1"} and "artifact" not in final.details
    assert received.rejected == []


async def test_a_handler_answer_is_the_response(
    receiver: EventReceiver, received: Received
) -> None:
    received.answer = {"results": [{"toolCallId": "t1", "result": "42"}]}
    tool_calls = message(
        "tool-calls",
        toolCallList=[{"id": "t1", "type": "function", "function": {"name": "f", "arguments": {}}}],
        toolWithToolCallList=[],
    )
    assert await post(receiver, tool_calls) == (200, received.answer)


@pytest.mark.parametrize("secret", [None, "", "a-secret-only-this-profile-know", SECRET + "x"])
async def test_a_forged_post_is_refused_and_logged_never_shown(
    receiver: EventReceiver,
    received: Received,
    caplog: pytest.LogCaptureFixture,
    secret: str | None,
) -> None:
    caplog.set_level(logging.WARNING)
    status, body = await post(receiver, message("transcript"), secret=secret)
    assert status == 401 and "X-Vapi-Secret" in body["error"]
    assert received.events == [] and received.rejected == []
    assert receiver.forged == 1
    assert "Refused a VAPI event post from 127.0.0.1" in caplog.text
    if secret:
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", '"message" object'),
        (b'{"message": {"role": "user"}}', 'no "type"'),
        (b'{"message": {"type": "transcript-ish"}}', "Unknown event type 'transcript-ish'"),
        (
            b'{"message": {"type": "transcript", "role": "robot", "transcript": "x"}}',
            '"role" "user" or "assistant"',
        ),
        (b'{"message": {"type": "tool-calls", "toolCallList": []}}', "non-empty"),
        (b'{"message": {"type": "speech-update", "role": "user"}}', '"started" or "stopped"'),
    ],
)
async def test_a_malformed_or_unknown_event_is_refused_journaled_and_the_next_one_served(
    receiver: EventReceiver, received: Received, body: bytes, says: str
) -> None:
    status, answer = await post(receiver, None, data=body)
    assert status == 400 and says in answer["error"]
    assert len(received.rejected) == 1
    assert received.rejected[0].status == 400 and says in received.rejected[0].reason
    assert await post(receiver, message("hang")) == (200, {})
    assert [e.type for e in received.events] == ["hang"]


async def test_a_10_mb_post_is_refused_before_its_body_is_sent(
    receiver: EventReceiver, received: Received
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    size = 10 * 1024 * 1024
    writer.write(
        f"POST /vapi/events HTTP/1.1\r\nHost: x\r\nX-Vapi-Secret: {SECRET}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
    )
    await writer.drain()
    # Not one byte of the body has been sent: the answer comes from the declared length.
    head = await asyncio.wait_for(reader.read(200), 5)
    assert head.startswith(b"HTTP/1.1 413")
    assert await asyncio.wait_for(reader.read(), 5) is not None  # then it closes
    writer.close()
    assert received.rejected[0].status == 413 and received.rejected[0].size == size
    assert await post(receiver, message("hang")) == (200, {})


async def test_a_10_mb_chunked_post_is_cut_off_at_the_limit(
    receiver: EventReceiver, received: Received
) -> None:

    async def body() -> AsyncIterator[bytes]:
        chunk = b" " * 65536
        for _ in range(160):  # 10 MB, with no declared length
            yield chunk

    status: int | None = None
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(receiver.local_url, data=body(), headers={"X-Vapi-Secret": SECRET}) as r,
        ):
            status = r.status
    except aiohttp.ClientError:
        pass  # the receiver may close before the client reads the 413: refused either way
    assert status in (None, 413)
    assert [r.status for r in received.rejected] == [413]
    assert "passed 1,0" in received.rejected[0].reason  # cut off just past the limit
    assert await post(receiver, message("hang")) == (200, {})


async def test_a_failing_handler_answers_500_and_the_receiver_keeps_serving(
    receiver: EventReceiver, received: Received
) -> None:
    received.fail_next = True
    status, body = await post(receiver, message("hang"))
    assert status == 500 and "could not handle" in body["error"]
    assert await post(receiver, message("hang")) == (200, {})


async def test_a_taken_port_is_refused_in_words(receiver: EventReceiver) -> None:
    other = EventReceiver(SECRET, Received().handle)
    with pytest.raises(VoicePanelError) as info:
        await other.start(receiver.port or 0)
    assert f"port {receiver.port}: another program uses it" in info.value.message
    assert not other.running


async def test_the_public_address_test_passes_when_posts_reach_the_receiver(
    receiver: EventReceiver, received: Received
) -> None:
    result = await check_public_url(f"http://127.0.0.1:{receiver.port}/", receiver, SECRET)
    assert result.ok and "reached VoicePanel" in result.text
    assert received.events == [] and received.rejected == []  # a test is not an event


async def test_the_public_address_test_fails_in_a_sentence_when_nothing_answers(
    receiver: EventReceiver,
) -> None:
    result = await check_public_url(f"http://127.0.0.1:{closed_port()}", receiver, SECRET)
    assert not result.ok
    assert result.text.startswith("Could not reach 127.0.0.1")
    assert "tunnel is running" in result.text


async def test_the_public_address_test_fails_when_the_tunnel_forwards_elsewhere(
    receiver: EventReceiver,
) -> None:
    # A tunnel that answers, but forwards to some other local server.
    app = web.Application()

    async def elsewhere(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post("/vapi/events", elsewhere)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        result = await check_public_url(f"http://127.0.0.1:{port}", receiver, SECRET)
    finally:
        await runner.cleanup()
    assert not result.ok
    assert "never reached VoicePanel" in result.text
    assert f"http://localhost:{receiver.port}" in result.text


async def test_the_public_address_must_look_like_one(receiver: EventReceiver) -> None:
    for text in ("abc.trycloudflare.com", "ftp://x.example", "https://x.example/?a=1"):
        result = await check_public_url(text, receiver, SECRET)
        assert not result.ok and "public address must" in result.text


def test_the_receiver_knows_every_event_type_the_vapi_sdk_describes() -> None:
    sdk_types: set[str] = set()
    for module in pkgutil.iter_modules(vapi.types.__path__):
        if module.name.startswith("server_message_") and module.name.endswith("_type"):
            if module.name == "server_message_transcript_transcript_type":
                continue  # partial/final, not a message type
            loaded = importlib.import_module(f"vapi.types.{module.name}")
            for name, value in vars(loaded).items():
                if name.startswith("ServerMessage") and name.endswith("Type"):
                    for arg in typing.get_args(value):
                        sdk_types.update(typing.get_args(arg))
    sdk_types.discard('transcript[transcriptType="final"]')  # read as "transcript"
    assert sdk_types == KNOWN_TYPES


async def test_a_flood_of_forged_posts_is_one_log_line_and_the_receiver_keeps_serving(
    receiver: EventReceiver, received: Received, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    statuses = await asyncio.gather(
        *(post(receiver, message("transcript"), secret="guess") for _ in range(50))
    )
    assert {s for s, _ in statuses} == {401} and receiver.forged == 50
    assert caplog.text.count("Refused a VAPI event post") == 1
    assert await post(receiver, message("hang")) == (200, {})
