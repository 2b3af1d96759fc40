"""What the three sandbox WebSockets share: reading protobuf frames, the first auth request,
the close code for each way a client misbehaves, and serving one client from upgrade to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import betterproto
from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from voicepanel.sandbox.fishjam.direct_frames import DirectFrames
from voicepanel.sandbox.fishjam.outbox import Outbox

M = TypeVar("M", bound=betterproto.Message)
A = TypeVar("A", bound=betterproto.Message)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# How long a fresh socket may take to authenticate before it is dropped.
AUTH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class BadFrame(Exception):
    """A frame the sandbox will not accept; the socket is closed with `code` and `reason`."""

    code: int
    reason: str


@dataclass(frozen=True)
class Closed(Exception):
    """The client closed the socket or it broke."""


def parse_frame(msg: WSMessage, message_type: type[M]) -> tuple[str, betterproto.Message]:
    """Decode one frame into (oneof field name, value), or raise BadFrame/Closed."""
    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
        raise Closed()
    if msg.type is not WSMsgType.BINARY:
        raise BadFrame(WSCloseCode.UNSUPPORTED_DATA, "expected binary protobuf frames")
    try:
        parsed = message_type().parse(msg.data)
        name, value = betterproto.which_one_of(parsed, "content")
    except Exception:
        raise BadFrame(WSCloseCode.UNSUPPORTED_DATA, "malformed protobuf frame") from None
    if not name or value is None:
        raise BadFrame(WSCloseCode.POLICY_VIOLATION, "unrecognised message")
    return name, value


async def first_auth_request(
    ws: web.WebSocketResponse, message_type: type[M], request_type: type[A]
) -> A:
    """The `auth_request` a peer's socket must send first, within AUTH_TIMEOUT_S."""
    msg = await asyncio.wait_for(ws.receive(), AUTH_TIMEOUT_S)
    name, value = parse_frame(msg, message_type)
    if name != "auth_request":
        raise BadFrame(WSCloseCode.POLICY_VIOLATION, "expected auth_request first")
    assert isinstance(value, request_type)
    return value


async def serve_client(
    outbox: Outbox,
    serve: Callable[[], Awaitable[None]],
    release: Callable[[], None],
    log: logging.Logger,
    name: str,
) -> None:
    """Run `serve` over a started outbox until the client leaves, then `release` what the
    client held and give a queued close its grace.

    How `serve` ends picks the close: a client that left needs none; a bad frame closes with
    its own code and reason; a missed auth deadline (TimeoutError) is a policy violation;
    anything else is the sandbox's own bug, logged, and closes with "internal error".
    """
    outbox.start()
    try:
        await serve()
    except Closed:
        pass
    except BadFrame as bad:
        outbox.close(bad.code, bad.reason)
    except TimeoutError:
        outbox.close(WSCloseCode.POLICY_VIOLATION, "authentication timed out")
    except Exception:
        log.exception("%s failed", name)
        outbox.close(WSCloseCode.INTERNAL_ERROR, "internal error")
    finally:
        release()
        await outbox.stop()


def aborter(request: web.Request) -> Callable[[], None]:
    """Drops a client's connection at once, for when even a close frame cannot get through."""
    transport = request.transport

    def abort() -> None:
        if transport is not None:
            transport.abort()

    return abort


# After a socket's handler is done, how long its close may take to reach the client. A
# client that stopped reading keeps the close frame stuck behind unsent data; past this,
# the connection is dropped instead of lingering.
CLOSE_GRACE_S = 1.0


class SocketRegistry:
    """Every open server-side WebSocket, so stopping the sandbox can close them all."""

    def __init__(self) -> None:
        self._open: set[web.WebSocketResponse] = set()

    @contextlib.contextmanager
    def holding(self, ws: web.WebSocketResponse, request: web.Request) -> Iterator[None]:
        self._open.add(ws)
        abort = aborter(request)
        try:
            yield
        finally:
            self._open.discard(ws)
            asyncio.get_running_loop().call_later(CLOSE_GRACE_S, abort)

    async def close_all(self, reason: str) -> None:
        closes = [
            ws.close(code=WSCloseCode.GOING_AWAY, message=reason.encode())
            for ws in list(self._open)
        ]
        if closes:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True), 2.0)


def socket_handler(
    sockets: SocketRegistry,
    run: Callable[[web.WebSocketResponse, DirectFrames], Awaitable[None]],
    **options: Any,
) -> Handler:
    """An aiohttp handler that upgrades to an uncompressed WebSocket (`options` go to
    `WebSocketResponse`) and awaits `run(ws, direct)` while `sockets` holds it; `direct`
    writes frames straight to the connection (and can abort it)."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, **options)
        await ws.prepare(request)
        with sockets.holding(ws, request):
            await run(ws, DirectFrames(ws, request.transport))
        return ws

    return handle
