"""A room's webhook receives the same notifications as the notifier, in the same order, each
delivery signed so that the SDK's own `verify_webhook_signature` accepts it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from fishjam import (
    FishjamClient,
    RoomOptions,
    decode_server_notifications,
    verify_webhook_signature,
)
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam_helpers import WAIT_S, NotificationLog, kind

from voicepanel.sandbox.server import Sandbox, SandboxConfig

run = asyncio.to_thread


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 that records every webhook body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.signatures: list[str] = []
        self.content_types: list[str] = []
        self.notifications: list[object] = []
        self.changed = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append(body)
        self.signatures.append(request.headers.get("x-fishjam-signature-256", ""))
        self.content_types.append(request.content_type)
        self.notifications.extend(decode_server_notifications(body))
        self.changed.set()
        return web.Response(status=200)

    async def wait_kind(self, name: str) -> None:
        async def find() -> None:
            while not any(kind(n) == name for n in self.notifications):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(find(), WAIT_S)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = WebhookReceiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


async def play_a_short_session(client: FishjamClient, options: RoomOptions) -> str:
    room = await run(client.create_room, options)
    agent = await run(client.create_agent, room.id)
    async with agent.connect() as session:
        await session.add_track(OutgoingAudioTrackOptions())
    await run(client.delete_room, room.id)
    return room.id


@pytest.mark.parametrize("batched", [False, True])
async def test_the_webhook_gets_what_the_notifier_gets_in_the_same_order(
    fishjam_client: FishjamClient,
    fishjam_notifications: NotificationLog,
    receiver: WebhookReceiver,
    batched: bool,
) -> None:
    options = RoomOptions(webhook_url=receiver.url, batch_webhook_notifications=batched)
    room_id = await play_a_short_session(fishjam_client, options)
    await fishjam_notifications.wait_kind("RoomDeleted", room_id=room_id)
    await receiver.wait_kind("RoomDeleted")

    assert [kind(n) for n in receiver.notifications] == fishjam_notifications.kinds(room_id)
    assert set(receiver.content_types) == {"application/x-protobuf"}
    if batched:
        assert len(receiver.bodies) < len(receiver.notifications)
    else:
        assert len(receiver.bodies) == len(receiver.notifications)


async def test_a_webhook_that_is_down_does_not_disturb_anything(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    # Port 9 (discard) on loopback refuses connections.
    options = RoomOptions(webhook_url="http://127.0.0.1:9/hook")
    room_id = await play_a_short_session(fishjam_client, options)
    await fishjam_notifications.wait_kind("RoomDeleted", room_id=room_id)
    assert await run(fishjam_client.get_all_rooms) == []


async def test_rooms_without_a_webhook_post_nothing(
    fishjam_client: FishjamClient, receiver: WebhookReceiver
) -> None:
    other = await run(fishjam_client.create_room)
    hooked = await run(fishjam_client.create_room, RoomOptions(webhook_url=receiver.url))
    await run(fishjam_client.delete_room, other.id)
    await run(fishjam_client.delete_room, hooked.id)
    await receiver.wait_kind("RoomDeleted")
    assert {n.room_id for n in receiver.notifications} == {hooked.id}  # type: ignore[attr-defined]


@pytest.mark.parametrize("batched", [False, True])
async def test_every_delivery_is_signed_with_the_sandboxs_secret(
    sandbox: Sandbox, fishjam_client: FishjamClient, receiver: WebhookReceiver, batched: bool
) -> None:
    options = RoomOptions(webhook_url=receiver.url, batch_webhook_notifications=batched)
    await play_a_short_session(fishjam_client, options)
    await receiver.wait_kind("RoomDeleted")

    deliveries = list(zip(receiver.bodies, receiver.signatures, strict=True))
    assert deliveries
    assert all(verify_webhook_signature(b, s, sandbox.webhook_secret) for b, s in deliveries)
    assert not any(verify_webhook_signature(b, s, "another secret") for b, s in deliveries)
    body, signature = deliveries[0]
    assert not verify_webhook_signature(body + b"\x00", signature, sandbox.webhook_secret)


async def test_a_configured_secret_signs_and_each_sandbox_has_its_own_by_default(
    receiver: WebhookReceiver,
) -> None:
    assert SandboxConfig().webhook_secret != SandboxConfig().webhook_secret
    server = Sandbox(SandboxConfig(port=0, webhook_secret="shared with my receiver"))
    await server.start()
    try:
        client = FishjamClient(server.fishjam_url, server.config.token)
        await play_a_short_session(client, RoomOptions(webhook_url=receiver.url))
        await receiver.wait_kind("RoomDeleted")
    finally:
        await server.stop()
    assert all(
        verify_webhook_signature(body, signature, "shared with my receiver")
        for body, signature in zip(receiver.bodies, receiver.signatures, strict=True)
    )
