"""Fixtures for the core gateway and notifier tests: gateways on the sandbox, and waits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from voicepanel.core.fishjam_gateway import FishjamGateway
from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.sandbox.server import Sandbox, SandboxConfig


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
async def fishjam(sandbox: Sandbox, sandbox_config: SandboxConfig) -> FishjamGateway:
    return FishjamGateway(sandbox.fishjam_url, sandbox_config.token)


@pytest.fixture
async def vapi(sandbox: Sandbox, sandbox_config: SandboxConfig) -> AsyncIterator[VapiGateway]:
    gateway = VapiGateway(sandbox_config.vapi_key, base_url=sandbox.vapi_base_url)
    try:
        yield gateway
    finally:
        await gateway.close()
