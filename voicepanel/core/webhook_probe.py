"""Can a room's webhook URL be reached? One HTTP request from this computer: any answer, even
an error status, means a server is there; a refused connection, an unknown host or silence
means Fishjam's notifications to it are lost (the server only logs that)."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import aiohttp

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class WebhookReach:
    """What a probe found: ``reachable``, and in words why (or what answered)."""

    url: str
    reachable: bool
    detail: str
    checked_at: float


def is_local_address(url: str) -> bool:
    """True for loopback, private and link-local hosts: places Fishjam Cloud cannot reach."""
    host = (urlparse(url).hostname or "").strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".local") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


async def probe_webhook(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> WebhookReach:
    """Sends one HEAD request to ``url`` (nothing is delivered) and says what happened.
    Never raises for a network failure: that is the answer."""

    def reach(ok: bool, detail: str) -> WebhookReach:
        return WebhookReach(url, ok, detail, time.time())

    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.head(url, allow_redirects=False) as response,
        ):
            return reach(True, f"a server answered (HTTP {response.status})")
    except aiohttp.InvalidURL:
        return reach(False, "the address is not a valid URL")
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, socket.gaierror):
            return reach(False, f"no such host: {urlparse(url).hostname}")
        code = exc.os_error.errno if exc.os_error else None
        why = os.strerror(code) if code else str(exc)  # "Connection refused"
        return reach(False, f"the connection failed ({why.lower()})")
    except TimeoutError:
        return reach(False, f"no answer within {timeout_s:g} s")
    except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
        return reach(False, f"the request failed ({type(exc).__name__})")
