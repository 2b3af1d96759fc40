"""Whether each room's webhook URL can be reached, checked when a room is shown and kept a
little while, so the details pane can warn the tester instead of the log alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from voicepanel.core.webhook_probe import WebhookReach, is_local_address, probe_webhook
from voicepanel.session.observable import Callbacks

log = logging.getLogger(__name__)

RECHECK_AFTER_S = 30.0
CLOUD_CANNOT_REACH = "Fishjam Cloud cannot reach an address on this computer or network"

Probe = Callable[[str], Awaitable[WebhookReach]]


class WebhookChecks:
    """Probes webhook URLs on request (one at a time per URL) and remembers the answers;
    ``on_change`` carries the URL whose answer arrived. ``from_cloud``: the server sending
    the webhooks is not on this computer, so a local address is unreachable for it."""

    def __init__(self, *, from_cloud: bool, probe: Probe = probe_webhook) -> None:
        self._from_cloud = from_cloud
        self._probe = probe
        self._known: dict[str, WebhookReach] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self.on_change: Callbacks[str] = Callbacks("webhook checks")

    def known(self, url: str) -> WebhookReach | None:
        """The latest answer for ``url``, or None while none has come."""
        return self._known.get(url)

    def request(self, url: str) -> None:
        """Checks ``url`` unless an answer is fresh or a check is already running."""
        if not url or url in self._running:
            return
        known = self._known.get(url)
        if known is not None and time.time() - known.checked_at < RECHECK_AFTER_S:
            return
        if self._from_cloud and is_local_address(url):
            self._known[url] = WebhookReach(url, False, CLOUD_CANNOT_REACH, time.time())
            self.on_change.emit(url)
            return
        self._running[url] = asyncio.ensure_future(self._check(url))

    async def _check(self, url: str) -> None:
        try:
            reach = await self._probe(url)
        finally:
            self._running.pop(url, None)
        if not reach.reachable:
            log.warning("Webhook %s is not reachable: %s", url, reach.detail)
        self._known[url] = reach
        self.on_change.emit(url)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        for task in list(self._running.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._running.clear()
        self.on_change.clear()
