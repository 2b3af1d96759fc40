"""A room's webhook receives the same notifications as the notifier, in the same order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from fishjam import FishjamClient, RoomOptions, decode_server_notifications
from fishjam.agent import OutgoingAudioTrackOptions
from fishjam_helpers import WAIT_S, NotificationLog, kind

run = asyncio.to_thread


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 that records every webhook body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.content_types: list[str] = []
        self.notifications: list[object] = []
        self.changed = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append(body)
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
