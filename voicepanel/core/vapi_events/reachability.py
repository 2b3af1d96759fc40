"""Does a post to the public address reach this receiver? The profile dialog's Test.

VAPI can only post to an address on the internet; a tunnel (cloudflared, ngrok) gives this
computer one and forwards it to the receiver's local port. The test posts, with the
profile's secret, to the public address exactly as VAPI will, and passes only when this
receiver saw that very post: a tunnel that answers but forwards elsewhere still fails.
Every outcome is one sentence a person can act on.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import aiohttp

from voicepanel.core.redact import REDACTOR
from voicepanel.core.vapi_events.receiver import (
    EVENTS_PATH,
    PROBE_QUERY,
    SECRET_HEADER,
    EventReceiver,
)

CHECK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReachCheck:
    ok: bool
    text: str
    round_trip_s: float | None = None


def public_url_problem(text: str) -> str | None:
    """Why ``text`` cannot be a public address, or None when it can."""
    parsed = urlparse(text.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "The public address must start with https:// (copy it whole from the tunnel)."
    if parsed.query or parsed.fragment:
        return "The public address must not contain ? or #: copy only the tunnel's address."
    return None


def events_url(public_url: str) -> str:
    """Where VAPI should post: the public address with the receiver's path."""
    base = public_url.strip().rstrip("/")
    if base.endswith(EVENTS_PATH):
        base = base[: -len(EVENTS_PATH)]
    return base + EVENTS_PATH


async def check_public_url(
    public_url: str, receiver: EventReceiver, secret: str, timeout_s: float = CHECK_TIMEOUT_S
) -> ReachCheck:
    """Posts a probe through ``public_url`` and waits for ``receiver`` to see it."""
    problem = public_url_problem(public_url)
    if problem:
        return ReachCheck(False, problem)
    if not receiver.running:
        return ReachCheck(False, "VoicePanel is not listening for events yet: connect first.")
    url = events_url(public_url)
    host = urlparse(url).hostname or url
    nonce = secrets.token_hex(8)
    seen = receiver.expect_probe(nonce)
    started = time.monotonic()
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(
                url,
                params={PROBE_QUERY: nonce},
                json={"message": {"type": "voicepanel-test"}},
                headers={SECRET_HEADER: secret},
                allow_redirects=False,
            ) as response,
        ):
            status = response.status
            await response.read()
    except TimeoutError:
        return ReachCheck(
            False,
            f"{host} did not answer within {timeout_s:.0f} s: check that the tunnel is still "
            "running.",
        )
    except aiohttp.ClientConnectorError as exc:
        why = REDACTOR.redact(str(exc.os_error.strerror or exc.os_error or exc))
        return ReachCheck(
            False,
            f"Could not reach {host} ({why}): check that the tunnel is running and that the "
            "address was copied whole.",
        )
    except aiohttp.ClientError as exc:
        return ReachCheck(False, f"The post to {host} failed ({REDACTOR.redact(str(exc))}).")
    finally:
        if not seen.done():
            seen.cancel()
    elapsed = time.monotonic() - started
    if status == 200 and seen.done() and not seen.cancelled():
        return ReachCheck(
            True,
            f"A test post through {host} reached VoicePanel in {elapsed * 1000:.0f} ms.",
            elapsed,
        )
    if status == 401:
        return ReachCheck(
            False,
            f"{host} reached a VoicePanel receiver that refused this profile's secret: the tunnel "
            f"points at another profile's port, not {receiver.port}.",
        )
    return ReachCheck(
        False,
        f"{host} answered with HTTP {status}, but the post never reached VoicePanel: point "
        f"the tunnel at http://localhost:{receiver.port}.",
    )
