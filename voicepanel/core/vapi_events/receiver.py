"""EventReceiver: a small aiohttp server, on the app's own event loop, that takes VAPI's
Server URL posts for the calls this panel starts.

Every post must carry the profile's secret in ``X-Vapi-Secret`` (the panel sets it in the
call's ``server.headers``, which VAPI sends with each post): without it the answer is 401
and a log line, and nothing of the body is read. A body over ``max_body_bytes`` is refused
from its declared length before it is read (413), or as soon as a chunked body passes the
limit; a body that is not a VAPI event is a 400. Refusals reach ``on_rejected`` (the
journal); an accepted event goes to ``handler``, whose answer (a tool result, say) is the
response. Nothing a sender does can stop the receiver: a failing handler is a 500 and a log
line, and the next post is served as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_events.events import CallEvent, PostRefused, RejectedPost, parse_post

log = logging.getLogger(__name__)

EVENTS_PATH = "/vapi/events"
SECRET_HEADER = "X-Vapi-Secret"
MAX_BODY_BYTES = 1_000_000
PROBE_QUERY = "voicepanel-probe"  # ?voicepanel-probe=NONCE: the profile dialog's Test post
LOOPBACK = "127.0.0.1"
LOG_EVERY_S = 10.0  # a flood of refused posts is one log line per this long, with a count

EventHandler = Callable[[CallEvent], Awaitable[dict[str, Any] | None]]


class EventReceiver:
    """Listens on ``host:port`` for posts to EVENTS_PATH; ``start()`` then ``stop()``."""

    def __init__(
        self,
        secret: str,
        handler: EventHandler,
        *,
        on_rejected: Callable[[RejectedPost], None] = lambda _r: None,
        max_body_bytes: int = MAX_BODY_BYTES,
        host: str = LOOPBACK,
    ) -> None:
        if not secret:
            raise ValueError("the receiver needs a secret")
        self._secret = secret.encode()
        self._handler = handler
        self._on_rejected = on_rejected
        self.max_body_bytes = max_body_bytes
        self.host = host
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._probes: dict[str, asyncio.Future[float]] = {}
        self.accepted = 0
        self.refused = 0  # every post answered 4xx, forged ones included
        self.forged = 0  # posts without the right secret
        self._last_log = -LOG_EVERY_S
        self._unlogged = 0

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def local_url(self) -> str:
        """The address on this computer, for the sandbox and for tunnels to point at."""
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    async def start(self, port: int = 0) -> int:
        """Binds ``port`` (0: any free one) and returns the port it listens on. Raises
        VoicePanelError when the port is taken or cannot be used."""
        if self._runner is not None:
            assert self.port is not None
            return self.port
        app = web.Application(client_max_size=self.max_body_bytes)
        app.router.add_post(EVENTS_PATH, self._serve)
        # No lingering: a refused body is not drained, the connection is closed instead.
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, lingering_time=0, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, port, reuse_address=False)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            busy = exc.errno == errno.EADDRINUSE
            raise VoicePanelError(
                f"Could not listen for VAPI's live events on port {port}"
                + (": another program uses it." if busy else f" ({exc.strerror or exc})."),
                "Close the program that uses it, or let VoicePanel choose another port.",
                cause=exc,
            ) from exc
        server = site._server  # the bound socket tells which port 0 became
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        self._runner = runner
        log.info("Listening for VAPI events on %s", self.local_url)
        return self.port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        for future in self._probes.values():
            future.cancel()
        self._probes.clear()
        if runner is not None:
            with contextlib.suppress(Exception):
                await runner.cleanup()

    def expect_probe(self, nonce: str) -> asyncio.Future[float]:
        """A future that resolves (with the arrival time) when a probe with ``nonce`` arrives."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._probes[nonce] = future
        future.add_done_callback(lambda _f: self._probes.pop(nonce, None))
        return future

    # -- serving ---------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        received_at = time.time()
        try:
            return await self._take(request, received_at)
        except PostRefused as refusal:
            return self._refuse(refusal, received_at, request.content_length)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one bad post must not stop the receiver
            log.exception("A VAPI event could not be handled")
            return _json(500, {"error": "VoicePanel could not handle this event."})

    async def _take(self, request: web.Request, received_at: float) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.forged += 1
            self.refused += 1
            # The peer's address only: never the header, which might be a near-miss secret.
            self._log_refusal(
                f"Refused a VAPI event post from {request.remote or 'an unknown address'}: "
                f"{'wrong' if given else 'no'} secret"
            )
            return _closing(_json(401, {"error": f"Missing or wrong {SECRET_HEADER} header."}))
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            raise PostRefused(413, _too_big(declared, self.max_body_bytes))
        body = await self._read_limited(request)
        nonce = request.query.get(PROBE_QUERY)
        if nonce is not None:
            return self._answer_probe(nonce, received_at)
        event = parse_post(body, received_at)
        self.accepted += 1
        answer = await self._handler(event)
        return _json(200, answer if answer is not None else {})

    async def _read_limited(self, request: web.Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_body_bytes:
                raise PostRefused(413, _too_big(size, self.max_body_bytes, read=True))
            chunks.append(chunk)
        return b"".join(chunks)

    def _refuse(
        self, refusal: PostRefused, received_at: float, size: int | None
    ) -> web.StreamResponse:
        self.refused += 1
        self._log_refusal(f"Refused a VAPI event post: {refusal.reason} (HTTP {refusal.status})")
        rejected = RejectedPost(
            received_at, refusal.status, refusal.reason, size, refusal.event_type
        )
        try:
            self._on_rejected(rejected)
        except Exception:  # noqa: BLE001 - the refusal is answered whatever the journal does
            log.exception("Could not record a refused VAPI event post")
        response = _json(refusal.status, {"error": refusal.reason})
        return _closing(response) if refusal.status == 413 else response

    def _log_refusal(self, line: str) -> None:
        now = time.monotonic()
        if now - self._last_log < LOG_EVERY_S:
            self._unlogged += 1
            return
        if self._unlogged:
            line += f" ({self._unlogged} more refused since the last line)"
        log.warning("%s", line)
        self._last_log, self._unlogged = now, 0

    def _answer_probe(self, nonce: str, received_at: float) -> web.Response:
        future = self._probes.get(nonce)
        if future is None or future.done():
            return _json(404, {"error": "No test of the public address is running."})
        future.set_result(received_at)
        return _json(200, {"voicepanel": "receiver"})


def _too_big(size: int, limit: int, read: bool = False) -> str:
    how = "passed" if read else "declares"
    return f"The post {how} {size:,} bytes; events are limited to {limit:,}."


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def _closing(response: web.Response) -> web.Response:
    response.force_close()
    return response
