"""The sandbox server: one aiohttp application on one port, Fishjam at the root, VAPI under /vapi.

It runs on whatever asyncio loop is current (the app's qasync loop, a test's loop, or the
command line's), through AppRunner/TCPSite, so starting it never blocks or spawns anything.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from aiohttp import web

from voicepanel.sandbox.fishjam import FishjamSandbox
from voicepanel.sandbox.paths import ignore_empty_segments
from voicepanel.sandbox.vapi import DEFAULT_END_OF_TURN_S, DEFAULT_REPLY_DELAY_S, VapiSandbox

log = logging.getLogger(__name__)

VAPI_PREFIX = "/vapi"
# No request the SDKs make comes near this (a recording's template bundle is at most 1 MiB);
# a larger body is refused with 413 before it is read.
MAX_BODY_BYTES = 4 * 1024 * 1024
# Open sockets are closed explicitly on stop; this only bounds a stuck request.
SHUTDOWN_TIMEOUT_S = 3.0


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 5002  # 0 = any free port
    token: str = "sandbox-management-token"
    vapi_key: str = "sandbox-vapi-key"
    # Assistants' defaults where they set none: VAPI's startSpeakingPlan.waitSeconds and
    # transcriptionEndpointingPlan.onNoPunctuationSeconds (see docs/sandbox.md).
    reply_delay_s: float = DEFAULT_REPLY_DELAY_S
    end_of_turn_s: float = DEFAULT_END_OF_TURN_S
    # Signs every webhook delivery (x-fishjam-signature-256); random unless given.
    webhook_secret: str = field(default_factory=new_webhook_secret)


class Sandbox:
    """A local Fishjam + VAPI stand-in. `await start()`, use `fishjam_url`, `await stop()`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.fishjam = FishjamSandbox(config.token, config.webhook_secret, vapi_prefix=VAPI_PREFIX)
        self.vapi = VapiSandbox(
            config.vapi_key, config.reply_delay_s, end_of_turn_s=config.end_of_turn_s
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def fishjam_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the sandbox is not running")
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def webhook_secret(self) -> str:
        """What webhook receivers verify deliveries with."""
        return self.config.webhook_secret

    @property
    def vapi_base_url(self) -> str:
        return self.fishjam_url + VAPI_PREFIX

    def build_app(self) -> web.Application:
        """The aiohttp application with every route; `start()` serves it."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.fishjam.add_routes(app)
        self.vapi.add_routes(app, prefix=VAPI_PREFIX)
        ignore_empty_segments(app)
        return app

    async def start(self) -> None:
        """Listen; raises OSError when the port cannot be bound (e.g. already in use)."""
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self.build_app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = _bound_port(runner, self.config.port)
        await self.fishjam.start(self.fishjam_url)
        log.info("sandbox listening on %s", self.fishjam_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            await self.fishjam.close()
            await self.vapi.close()
        finally:
            await runner.cleanup()
            self._port = None


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
