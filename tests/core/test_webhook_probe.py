"""Reaching a webhook URL: any HTTP answer means a server is there; a closed port, an unknown
host or a local address seen from the cloud means notifications to it are lost."""

from __future__ import annotations

import socket

from aiohttp import web
from local_server import serving

from voicepanel.core.webhook_probe import is_local_address, probe_webhook
from voicepanel.session.webhook_checks import CLOUD_CANNOT_REACH, WebhookChecks


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_receiver_that_answers_even_with_an_error_status_is_reachable() -> None:
    async def receive(_request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    async with serving(app) as url:
        reach = await probe_webhook(f"{url}/hook")
    assert reach.reachable, reach.detail
    assert "HTTP 405" in reach.detail  # HEAD on a POST-only route: still a server


async def test_a_closed_port_is_not_reachable_and_says_why() -> None:
    reach = await probe_webhook(f"http://127.0.0.1:{_closed_port()}/hook")
    assert not reach.reachable
    assert "refused" in reach.detail


async def test_seen_from_the_cloud_a_local_address_is_unreachable_without_asking() -> None:
    asked: list[str] = []

    async def probe(url: str) -> object:
        asked.append(url)
        raise AssertionError("a local address needs no probe from the cloud")

    checks = WebhookChecks(from_cloud=True, probe=probe)  # type: ignore[arg-type]
    arrived: list[str] = []
    checks.on_change.subscribe(arrived.append)
    checks.request("http://localhost:8080/hook")
    reach = checks.known("http://localhost:8080/hook")
    assert reach is not None and not reach.reachable and reach.detail == CLOUD_CANNOT_REACH
    assert arrived == ["http://localhost:8080/hook"] and not asked
    assert is_local_address("http://192.168.1.20/hook") and is_local_address("http://[::1]/")
    assert not is_local_address("https://hooks.example.com/fishjam")
    await checks.close()
