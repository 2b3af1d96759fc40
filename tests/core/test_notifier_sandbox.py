"""ResilientNotifier with the real SDK notifier against the sandbox, over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from core_waits import WAIT_S, closed_port

from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.notifications import Notification
from voicepanel.core.notifier import NotifierState, NotifierStatus, ResilientNotifier
from voicepanel.sandbox.server import Sandbox, SandboxConfig


class Recorder:
    """Collects what the notifier reports and lets a test await a condition on it."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.statuses: list[NotifierStatus] = []
        self.resyncs = 0
        self._changed = asyncio.Event()

    def on_notification(self, n: Notification) -> None:
        self.notifications.append(n)
        self._changed.set()

    def on_status(self, s: NotifierStatus) -> None:
        self.statuses.append(s)
        self._changed.set()

    async def on_resync(self) -> None:
        self.resyncs += 1
        self._changed.set()

    def states(self) -> list[NotifierState]:
        return [s.state for s in self.statuses]

    async def until(self, condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    def notifier(self, url: str, token: str, **kw: float) -> ResilientNotifier:
        return ResilientNotifier(
            url,
            token,
            on_notification=self.on_notification,
            on_status=self.on_status,
            on_resync=self.on_resync,
            **kw,
        )

    @contextlib.asynccontextmanager
    async def live(self, url: str, token: str) -> AsyncIterator[ResilientNotifier]:
        """A started notifier, once it is live and has asked for its first resync; stopped
        when the block ends."""
        notifier = self.notifier(url, token)
        notifier.start()
        try:
            await self.until(lambda: self.resyncs == 1)
            yield notifier
        finally:
            await notifier.stop()


async def test_notifications_arrive_in_order_as_values(
    sandbox: Sandbox, fishjam: FishjamGateway, sandbox_config: SandboxConfig
) -> None:
    rec = Recorder()
    async with rec.live(sandbox.fishjam_url, sandbox_config.token):
        assert rec.states() == [NotifierState.CONNECTING, NotifierState.LIVE]
        room = await fishjam.create_room(RoomSpec())
        peer, _ = await fishjam.create_peer(room.id)
        await fishjam.delete_peer(room.id, peer.id)
        await fishjam.delete_room(room.id)
        await rec.until(lambda: any(n.kind == "RoomDeleted" for n in rec.notifications))
    mine = [n for n in rec.notifications if n.room_id == room.id]
    assert [n.kind for n in mine] == ["RoomCreated", "PeerAdded", "PeerDeleted", "RoomDeleted"]
    assert mine[1].peer_id == peer.id and mine[1].details["peer_type"] == "PEER_TYPE_WEBRTC"
    assert rec.statuses[-1].state is NotifierState.STOPPED


async def test_a_failing_handler_does_not_stop_the_stream(
    sandbox: Sandbox, fishjam: FishjamGateway, sandbox_config: SandboxConfig
) -> None:
    seen: list[str] = []
    ready = asyncio.Event()

    def explode_first(n: Notification) -> None:
        seen.append(n.kind)
        if len(seen) == 1:
            raise ValueError("handler bug")
        ready.set()

    notifier = ResilientNotifier(
        sandbox.fishjam_url,
        sandbox_config.token,
        on_notification=explode_first,
        on_status=lambda s: None,
        on_resync=lambda: None,
    )
    notifier.start()
    try:
        await asyncio.wait_for(_until_live(notifier), WAIT_S)
        room = await fishjam.create_room(RoomSpec())
        await fishjam.delete_room(room.id)
        await asyncio.wait_for(ready.wait(), WAIT_S)
        assert notifier.status.state is NotifierState.LIVE
    finally:
        await notifier.stop()
    assert seen[:2] == ["RoomCreated", "RoomDeleted"]


async def _until_live(notifier: ResilientNotifier) -> None:
    while notifier.status.state is not NotifierState.LIVE:
        await asyncio.sleep(0.02)


async def test_comes_back_after_the_server_drops_it(sandbox_config: SandboxConfig) -> None:
    first = Sandbox(SandboxConfig(port=0))
    await first.start()
    url = first.fishjam_url
    port = int(url.rsplit(":", 1)[1])
    rec = Recorder()
    notifier = rec.notifier(url, sandbox_config.token, initial_backoff_s=0.05, max_backoff_s=0.5)
    notifier.start()
    second: Sandbox | None = None
    try:
        await rec.until(lambda: rec.resyncs == 1)
        await first.stop()
        await rec.until(lambda: NotifierState.RETRYING in rec.states())
        retrying = next(s for s in rec.statuses if s.state is NotifierState.RETRYING)
        assert retrying.retry_in_s is not None and retrying.retry_at is not None
        assert retrying.reason

        second = Sandbox(SandboxConfig(port=port))
        await second.start()
        await rec.until(lambda: rec.resyncs == 2)
        assert rec.states()[-1] is NotifierState.LIVE

        # And it is really live again: a new room shows up.
        gateway = FishjamGateway(second.fishjam_url, sandbox_config.token)
        room = await gateway.create_room(RoomSpec())
        await rec.until(lambda: any(n.room_id == room.id for n in rec.notifications))
    finally:
        await notifier.stop()
        if second is not None:
            await second.stop()
    states = rec.states()
    first_retry = states.index(NotifierState.RETRYING)
    assert states[:2] == [NotifierState.CONNECTING, NotifierState.LIVE]
    assert NotifierState.LIVE in states[first_retry:]


async def test_bad_token_fails_without_endless_retry(sandbox: Sandbox) -> None:
    rec = Recorder()
    token = "definitely-wrong-token"
    notifier = rec.notifier(sandbox.fishjam_url, token, initial_backoff_s=0.01)
    notifier.start()
    try:
        await rec.until(lambda: NotifierState.FAILED in rec.states())
        failed = rec.statuses[-1]
        assert failed.state is NotifierState.FAILED
        assert failed.reason and "management token" in failed.reason
        assert token not in failed.reason and failed.retry_in_s is None
        # With a 10 ms backoff a retrying notifier would reconnect many times within this.
        with pytest.raises(TimeoutError):
            await rec.until(lambda: rec.states().count(NotifierState.CONNECTING) > 1, 0.5)
        assert rec.resyncs == 0

        notifier.reconnect_now()
        await rec.until(lambda: rec.states().count(NotifierState.FAILED) == 2)
    finally:
        await notifier.stop()


async def test_unreachable_server_retries_and_reconnect_now_skips_the_wait() -> None:
    rec = Recorder()
    url = f"http://127.0.0.1:{closed_port()}"
    notifier = rec.notifier(url, "some-token-value", initial_backoff_s=60.0, max_backoff_s=60.0)
    notifier.start()
    try:
        await rec.until(lambda: NotifierState.RETRYING in rec.states())
        status = rec.statuses[-1]
        assert status.reason and "Could not reach Fishjam" in status.reason
        assert status.retry_in_s is not None and status.retry_in_s >= 45.0
        notifier.reconnect_now()
        # A 60 s backoff skipped: the next attempt and its failure come right away.
        await rec.until(lambda: rec.states().count(NotifierState.RETRYING) == 2)
    finally:
        await notifier.stop()
    assert rec.states()[-1] is NotifierState.STOPPED


async def test_reconnect_now_while_live_renews_the_link_and_resyncs(
    sandbox: Sandbox, sandbox_config: SandboxConfig
) -> None:
    rec = Recorder()
    async with rec.live(sandbox.fishjam_url, sandbox_config.token) as notifier:
        notifier.reconnect_now()
        await rec.until(lambda: rec.resyncs == 2)
    assert rec.states()[:4] == [
        NotifierState.CONNECTING,
        NotifierState.LIVE,
        NotifierState.CONNECTING,
        NotifierState.LIVE,
    ]


@pytest.mark.parametrize("resync_works", [True, False])
async def test_backoff_restarts_once_a_connection_has_subscribed_and_re_read(
    sandbox_config: SandboxConfig, resync_works: bool
) -> None:
    initial = 0.05
    port = closed_port()
    rec = Recorder()
    if not resync_works:

        async def failing_resync() -> None:
            rec.resyncs += 1
            rec._changed.set()
            raise ConnectionError("REST is down")

        rec.on_resync = failing_resync  # type: ignore[method-assign]
    notifier = rec.notifier(
        f"http://127.0.0.1:{port}", sandbox_config.token, initial_backoff_s=initial
    )
    notifier.start()
    server = Sandbox(SandboxConfig(port=port))
    try:
        await rec.until(lambda: rec.states().count(NotifierState.RETRYING) >= 3)
        await server.start()
        await rec.until(lambda: rec.resyncs == 1)
        await server.stop()
        await rec.until(lambda: rec.states()[-1] is NotifierState.RETRYING)
    finally:
        await notifier.stop()
        await server.stop()
    after_live = rec.statuses[rec.states().index(NotifierState.LIVE) + 1 :]
    first_retry = next(s for s in after_live if s.state is NotifierState.RETRYING)
    assert first_retry.retry_in_s is not None
    if resync_works:
        assert first_retry.retry_in_s <= initial * 1.25
    else:
        assert first_retry.retry_in_s >= initial * 8 * 0.75


async def test_the_wait_between_attempts_never_exceeds_two_seconds() -> None:
    rec = Recorder()
    notifier = rec.notifier(f"http://127.0.0.1:{closed_port()}", "t", initial_backoff_s=0.5)
    notifier.start()
    try:
        await rec.until(lambda: rec.states().count(NotifierState.RETRYING) >= 6, 30)
    finally:
        await notifier.stop()
    waits = [s.retry_in_s for s in rec.statuses if s.state is NotifierState.RETRYING]
    assert max(w or 0 for w in waits) <= 2.0
    assert waits[-1] is not None and waits[-1] >= 1.5  # it did grow to the cap


async def test_a_vapi_peer_with_a_bad_call_id_crashes_with_a_reason(
    sandbox: Sandbox, fishjam: FishjamGateway, sandbox_config: SandboxConfig
) -> None:
    rec = Recorder()
    async with rec.live(sandbox.fishjam_url, sandbox_config.token):
        room = await fishjam.create_room(RoomSpec())
        peer = await fishjam.create_vapi_peer(room.id, sandbox_config.vapi_key, "no-such-call")
        await rec.until(lambda: any(n.kind == "PeerCrashed" for n in rec.notifications))
    crashed = next(n for n in rec.notifications if n.kind == "PeerCrashed")
    assert crashed.peer_id == peer.id and crashed.room_id == room.id
    assert crashed.details["reason"]
    assert crashed.details["peer_type"] == "PEER_TYPE_VAPI"
