"""ResilientNotifier: keeps a live Fishjam server-notification stream, whatever the network does.

The SDK's ``FishjamNotifier`` never reconnects and cannot be reused after a close, so a
supervisor task makes a fresh one per attempt, reports CONNECTING -> LIVE -> RETRYING (with
exponential backoff and jitter), asks the owner to re-read state after every (re)connect,
and stops retrying (FAILED) when the management token is wrong.

The backoff starts afresh once a connection has subscribed and the owner has re-read the
state, and it is capped at a couple of seconds: a desktop panel holds one connection, so a
short outage must cost seconds, not the half-minute a growing backoff reached. A server
that keeps dropping the link (a storm) is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import fishjam
from fishjam.events._protos.fishjam import ServerMessageEventType
from fishjam.utils import get_fishjam_url
from websockets import exceptions as ws_errors
from websockets.asyncio import client as ws_client

from voicepanel.core.errors_map import FishjamContext, fishjam_error, is_invalid_token
from voicepanel.core.notifications import Notification, notification_from_sdk
from voicepanel.core.redact import REDACTOR

log = logging.getLogger(__name__)

STABLE_AFTER_S = 10.0
"""A drop after a connection stayed up this long starts a new storm (logged again)."""
MAX_BACKOFF_S = 2.0
"""The longest wait between attempts: an outage costs at most this after the server is back."""
MAX_FRAME_BYTES = 64 * 1024 * 1024
"""The largest notification frame accepted (the websockets default is 1 MiB). A bigger one
ends the connection; the RETRYING status then says so, and the owner journals the gap."""
FRAME_TOO_BIG = 1009  # RFC 6455 close code: message too big
CONNECT_TIMEOUT_S = 20.0
"""An attempt that is not authenticated and subscribed by then counts as failed."""


class NotifierState(Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    RETRYING = "retrying"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class NotifierStatus:
    state: NotifierState
    retry_in_s: float | None = None
    reason: str | None = None
    retry_at: float | None = None  # time.monotonic() of the next attempt, for a countdown
    hint: str | None = None  # what to try, when there is something to try
    drops: int = 0  # drops in the current storm (connections that fell within stable_after_s)


def _is_permanent(error: BaseException) -> bool:
    """Failures that retrying cannot fix: a wrong token or an unusable address."""
    return is_invalid_token(error) or isinstance(
        error, fishjam.errors.MissingFishjamIdError | ws_errors.InvalidURI
    )


class _Reconnect(Exception):
    """reconnect_now() was asked while live: drop this connection and start afresh."""


class _RoomyNotifier(fishjam.FishjamNotifier):
    """The SDK's notifier with a larger frame limit: its ``connect`` takes no ``max_size``,
    and one track with megabytes of metadata must not cost every panel its notifications.
    The body is the SDK's ``connect`` (fishjam-server-sdk 0.31) with that one argument."""

    def __init__(self, fishjam_id: str, management_token: str, max_frame_bytes: int) -> None:
        super().__init__(fishjam_id, management_token)
        self._max_frame_bytes = max_frame_bytes

    async def connect(self) -> None:
        url, limit = self._fishjam_url, self._max_frame_bytes
        async with ws_client.connect(url, max_size=limit) as websocket:
            try:
                self._websocket = websocket
                await self._authenticate()
                if self._notification_handler:
                    await self._subscribe_event(
                        event=ServerMessageEventType.EVENT_TYPE_SERVER_NOTIFICATION
                    )
                self._ready = True
                if self._ready_event:
                    self._ready_event.set()
                await self._receive_loop()
            finally:
                self._websocket = None  # type: ignore[assignment]


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count / 1024:g} KiB"


def refused_frame(error: BaseException) -> bool:
    """True when the connection ended because a frame was over MAX_FRAME_BYTES."""
    if not isinstance(error, ws_errors.ConnectionClosed):
        return False
    return any(
        close is not None and close.code == FRAME_TOO_BIG for close in (error.sent, error.rcvd)
    )


class ResilientNotifier:
    """Supervises one notification stream; all callbacks run on the event loop, in order."""

    def __init__(
        self,
        fishjam_id: str,
        management_token: str,
        *,
        on_notification: Callable[[Notification], Any],
        on_status: Callable[[NotifierStatus], Any],
        on_resync: Callable[[], Awaitable[None] | None],
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = MAX_BACKOFF_S,
        stable_after_s: float = STABLE_AFTER_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        REDACTOR.add(management_token)
        self._fishjam_id = fishjam_id
        self._token = management_token
        self._on_notification = on_notification
        self._on_status = on_status
        self._on_resync = on_resync
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max(max_backoff_s, initial_backoff_s)
        self._stable_after_s = stable_after_s
        self._connect_timeout_s = connect_timeout_s
        self._max_frame_bytes = max_frame_bytes
        self.status = NotifierStatus(NotifierState.STOPPED)
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._failures = 0
        self._live = False
        self._live_since: float | None = None
        self._storm_drops = 0  # drops since the last connection that stayed up
        self._storm_started: float | None = None
        self._steady: asyncio.TimerHandle | None = None

    # --- public -------------------------------------------------------------------------

    def start(self) -> None:
        """Start supervising on the running loop (does nothing if already started)."""
        if self._task is not None and not self._task.done():
            return
        self._wake = asyncio.Event()
        self._failures = 0
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name="fishjam-notifier"
        )

    def reconnect_now(self) -> None:
        """Try again at once: skips a RETRYING wait, leaves FAILED, or renews a LIVE link."""
        if self._wake is not None and self.status.state is not NotifierState.CONNECTING:
            self._failures = 0
            self._wake.set()

    async def stop(self) -> None:
        """Close the stream and end the supervisor; STOPPED is reported last."""
        task, self._task = self._task, None
        self._cancel_steady()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set(NotifierStatus(NotifierState.STOPPED))

    # --- supervision --------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            self._set(NotifierStatus(NotifierState.CONNECTING, drops=self._storm_drops))
            self._live_since = None
            try:
                await self._attempt()
                error: BaseException = ConnectionError("Fishjam closed the live connection.")
            except _Reconnect:
                continue
            except Exception as exc:  # noqa: BLE001 - any failure leads to a retry or FAILED
                error = exc
            finally:
                self._cancel_steady()
            readable = fishjam_error(
                error,
                FishjamContext("Lost the live notifications from Fishjam.", url=self._url()),
            )
            message = readable.message
            if refused_frame(error):
                message = (
                    f"Fishjam sent a notification larger than {_size(self._max_frame_bytes)};"
                    " it was refused, and notifications may be missing until the re-read."
                )
            if _is_permanent(error):
                log.warning("Notifier stopped: %s", readable)
                await self._wait_failed(message, readable.hint)
                continue
            self._note_drop(message, error)
            await self._wait_retry(message, readable.hint)

    def _note_drop(self, message: str, error: BaseException) -> None:
        """Logs the first drop of a storm; the rest are counted, and summed up once the
        link holds again (a flapping server must not write hundreds of lines)."""
        if self._live_since is not None:
            self._storm_drops += 1
        if self._storm_started is None:
            self._storm_started = time.monotonic()
            log.info("Notifier dropped, will retry: %s (%r)", message, error)
        else:
            log.debug("Notifier dropped again: %s (%r)", message, error)

    def _cancel_steady(self) -> None:
        if self._steady is not None:
            self._steady.cancel()
            self._steady = None

    def _steady_again(self) -> None:
        """The link has held for stable_after_s: the storm, if there was one, is over."""
        self._steady = None
        if self._storm_started is not None:
            log.info(
                "Notifier steady again after %d drop(s) in %.1f s",
                self._storm_drops,
                time.monotonic() - self._storm_started,
            )
        self._storm_started = None
        self._storm_drops = 0

    async def _attempt(self) -> None:
        """One connection, from a fresh SDK notifier; returns or raises when it ends."""
        notifier = _RoomyNotifier(self._fishjam_id, self._token, self._max_frame_bytes)
        self._live = False
        notifier.on_server_notification(self._deliver)
        connection = asyncio.create_task(notifier.connect(), name="fishjam-notifier-connect")
        ready = asyncio.create_task(notifier.wait_ready(), name="fishjam-notifier-ready")
        helpers: list[asyncio.Task[Any]] = [ready]
        try:
            done, _ = await asyncio.wait(
                {connection, ready},
                timeout=self._connect_timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                raise TimeoutError("Fishjam did not accept the live connection in time.")
            if ready in done or self._live:
                self._mark_live()
                assert self._wake is not None
                self._wake.clear()
                resync = asyncio.create_task(self._resync(), name="fishjam-notifier-resync")
                wake = asyncio.create_task(self._wake.wait(), name="fishjam-notifier-wake")
                helpers += [resync, wake]
                await asyncio.wait({connection, wake}, return_when=asyncio.FIRST_COMPLETED)
                if not connection.done():
                    raise _Reconnect()
            connection.result()  # re-raises what ended the connection
        finally:
            tasks = [connection, *helpers]
            for task in tasks:
                task.cancel()
            # wait() (unlike awaiting each task) lets a cancel of stop() through.
            await asyncio.wait(tasks)
            for task in tasks:
                if not task.cancelled():
                    task.exception()  # retrieved here, so asyncio does not log it again

    async def _wait_retry(self, reason: str, hint: str) -> None:
        self._failures += 1
        base = min(self._max_backoff_s, self._initial_backoff_s * 2 ** (self._failures - 1))
        # Jitter keeps many panels from hammering a server that just came back, together.
        delay = min(self._max_backoff_s, base * random.uniform(0.75, 1.25))
        assert self._wake is not None
        self._wake.clear()
        self._set(
            NotifierStatus(
                NotifierState.RETRYING,
                retry_in_s=delay,
                reason=reason,
                retry_at=time.monotonic() + delay,
                hint=hint,
                drops=self._storm_drops,
            )
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    async def _wait_failed(self, reason: str, hint: str) -> None:
        assert self._wake is not None
        self._wake.clear()
        self._set(NotifierStatus(NotifierState.FAILED, reason=reason, hint=hint))
        await self._wake.wait()

    # --- callbacks ----------------------------------------------------------------------

    def _mark_live(self) -> None:
        if not self._live:
            self._live = True
            self._live_since = time.monotonic()
            self._cancel_steady()
            self._steady = asyncio.get_running_loop().call_later(
                self._stable_after_s, self._steady_again
            )
            self._set(NotifierStatus(NotifierState.LIVE, drops=self._storm_drops))

    async def _deliver(self, message: Any) -> None:
        # The SDK awaits this before reading the next frame, so delivery keeps server order.
        self._mark_live()
        try:
            notification = notification_from_sdk(message)
            result = self._on_notification(notification)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bad handler must not kill the stream
            log.exception("Notification handler failed for %s", type(message).__name__)

    async def _resync(self) -> None:
        try:
            result = self._on_resync()
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("Re-reading state after the notifier connected failed")
            return
        # Subscribed and caught up: the next drop starts from the shortest wait again.
        self._failures = 0

    def _set(self, status: NotifierStatus) -> None:
        self.status = status
        try:
            result = self._on_status(status)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)
        except Exception:  # noqa: BLE001
            log.exception("Notifier status handler failed")

    def _url(self) -> str:
        try:
            return get_fishjam_url(self._fishjam_id)
        except Exception:  # noqa: BLE001
            return self._fishjam_id
