"""Reading protobuf frames off a WebSocket, and the close codes used when a client misbehaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import betterproto
from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

M = TypeVar("M", bound=betterproto.Message)
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
