"""Webhook delivery: every notification about a room with a `webhookUrl` is POSTed there.

One sender per room keeps the order; with `batchWebhookNotifications` whatever is pending is
coalesced into one `NotificationBatch`. Each request is signed as Fishjam signs it: the
`x-fishjam-signature-256` header carries `sha256=` and the hex HMAC-SHA256 of the raw body
under the sandbox's webhook secret (what `fishjam.verify_webhook_signature` checks). A
receiver that fails or is down is logged and skipped; it never slows the state, the sockets
or other rooms.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import deque
from dataclasses import dataclass, field

import aiohttp
from fishjam.events._protos.fishjam import ServerMessage, ServerMessageNotificationBatch

from voicepanel.sandbox.fishjam.notifications import Notification
from voicepanel.sandbox.fishjam.state import FishjamState

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-protobuf"
SIGNATURE_HEADER = "x-fishjam-signature-256"
TIMEOUT_S = 5.0
# How long a batched room waits for more notifications before sending.
BATCH_WINDOW_S = 0.05
MAX_PENDING = 10_000


@dataclass
class _RoomWebhook:
    url: str
    batch: bool
    pending: deque[ServerMessage] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    finished: bool = False
    failing: bool = False


class WebhookSender:
    """Delivers notifications to the rooms' webhook URLs."""

    def __init__(self, state: FishjamState, secret: str) -> None:
        self._state = state
        self._secret = secret
        self._rooms: dict[str, _RoomWebhook] = {}
        self._session: aiohttp.ClientSession | None = None
        self._unsubscribe = state.bus.subscribe(self._on_notification)

    async def close(self) -> None:
        self._unsubscribe()
        tasks = [hook.task for hook in self._rooms.values() if hook.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._rooms.clear()
        if self._session is not None:
            await self._session.close()

    def _on_notification(self, notification: Notification) -> None:
        hook = self._rooms.get(notification.room_id)
        if hook is None:
            room = self._state.rooms.get(notification.room_id)
            if room is None or not room.config.webhook_url:
                return
            hook = _RoomWebhook(room.config.webhook_url, room.config.batch_webhook_notifications)
            self._rooms[notification.room_id] = hook
        if len(hook.pending) >= MAX_PENDING:
            log.warning("webhook %s is %d notifications behind; dropping", hook.url, MAX_PENDING)
            hook.pending.popleft()
        hook.pending.append(notification.message)
        if notification.kind == "room_deleted":
            hook.finished = True
        if hook.task is None or hook.task.done():
            hook.task = asyncio.get_running_loop().create_task(
                self._deliver(notification.room_id, hook), name=f"webhook {hook.url}"
            )

    async def _deliver(self, room_id: str, hook: _RoomWebhook) -> None:
        try:
            while hook.pending:
                if hook.batch:
                    await asyncio.sleep(BATCH_WINDOW_S)
                    messages = list(hook.pending)
                    hook.pending.clear()
                    batch = ServerMessageNotificationBatch(notifications=messages)
                    body = bytes(ServerMessage(notification_batch=batch))
                else:
                    body = bytes(hook.pending.popleft())
                await self._post(hook, body)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery to %s failed", hook.url)
        finally:
            if hook.finished and not hook.pending and self._rooms.get(room_id) is hook:
                del self._rooms[room_id]

    async def _post(self, hook: _RoomWebhook, body: bytes) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        problem = None
        headers = {"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: sign(body, self._secret)}
        try:
            async with self._session.post(hook.url, data=body, headers=headers) as response:
                if response.status >= 300:
                    problem = f"answered HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            problem = f"could not be reached: {exc!r}"
        if problem is None:
            hook.failing = False
            return
        # One warning per outage, not one per notification.
        level = logging.DEBUG if hook.failing else logging.WARNING
        log.log(level, "webhook %s %s; the notification is dropped", hook.url, problem)
        hook.failing = True


def sign(body: bytes, secret: str) -> str:
    """The `x-fishjam-signature-256` value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
