"""Waiting helpers for the core integration tests: await a condition, find a closed port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 15.0
"""How long a test waits for something the sandbox will do; generous for loaded CI."""


async def poll_until(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = WAIT_S
) -> T:
    """Ask ``probe`` again until ``accept`` says yes; fail the test after ``timeout``."""

    async def loop() -> T:
        while True:
            value = await probe()
            if accept(value):
                return value
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(loop(), timeout)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
