"""Fixtures for the sandbox tests: SDK clients and a live notification log on the whole
sandbox (Fishjam), and a VapiSandbox alone with its SDK client (VAPI). Helpers the tests
import live in fishjam_helpers.py and vapi_harness.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from fishjam import FishjamClient, FishjamNotifier
from fishjam_helpers import WAIT_S, NotificationLog
from vapi import AsyncVapi
from vapi_harness import API_KEY, END_OF_TURN_S, REPLY_DELAY_S, VapiServer, start_vapi_server

from voicepanel.sandbox.server import Sandbox
from voicepanel.sandbox.vapi import VapiSandbox


@pytest.fixture
def fishjam_client(sandbox: Sandbox) -> Iterator[FishjamClient]:
    client = FishjamClient(sandbox.fishjam_url, sandbox.config.token)
    yield client
    client.client.get_httpx_client().close()


@pytest.fixture
async def fishjam_notifications(sandbox: Sandbox) -> AsyncIterator[NotificationLog]:
    log = NotificationLog()
    notifier = FishjamNotifier(sandbox.fishjam_url, sandbox.config.token)
    notifier.on_server_notification(log.add)
    task = asyncio.create_task(notifier.connect())
    await asyncio.wait_for(notifier.wait_ready(), WAIT_S)
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


@pytest.fixture
async def vapi_server() -> AsyncIterator[VapiServer]:
    server, runner = await start_vapi_server(
        VapiSandbox(API_KEY, reply_delay_s=REPLY_DELAY_S, end_of_turn_s=END_OF_TURN_S)
    )
    try:
        yield server
    finally:
        await server.sandbox.close()
        await runner.cleanup()


@pytest.fixture
def vapi(vapi_server: VapiServer) -> AsyncVapi:
    return vapi_server.client()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
