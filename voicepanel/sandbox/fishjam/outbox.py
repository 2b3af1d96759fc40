"""Per-socket outgoing queue: producers never wait, one writer task sends in order.

While nothing is queued, a server socket's frames are written at once (`DirectFrames`),
without a trip through the writer task; the queue takes over as soon as the socket is backed
up, and keeps the order. A reader that falls hopelessly behind never slows the room, the
notifier or anyone else: depending on the socket, its oldest queued messages are dropped
(live audio, where stale frames are worthless) or it is disconnected with a close reason
(notifications, where a gap would silently corrupt the client's view).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from aiohttp import WSCloseCode

from voicepanel.sandbox.fishjam.direct_frames import DirectFrames

log = logging.getLogger(__name__)


class WebSocketLike(Protocol):
    """The part of aiohttp's server and client WebSockets the outbox uses."""

    async def send_bytes(self, data: bytes) -> None: ...
    async def send_str(self, data: str) -> None: ...
    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class Overflow(Enum):
    """What to do when a reader is `max_queued` messages behind."""

    DROP_OLDEST = "drop oldest"
    DISCONNECT = "disconnect"


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Outbox:
    """Queued frames for one WebSocket, written by a single task in the order queued."""

    def __init__(
        self,
        ws: WebSocketLike,
        name: str,
        max_queued: int,
        abort: Callable[[], None] | None = None,
        overflow: Overflow = Overflow.DISCONNECT,
        direct: DirectFrames | None = None,
    ) -> None:
        self._ws = ws
        self._name = name
        self._max = max_queued
        self._abort = abort
        self._overflow = overflow
        self._direct = direct
        self._sending = False  # the writer task holds a frame it has not finished sending
        self._dropped = 0
        self._queue: asyncio.Queue[bytes | str | _Close] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._dropping: asyncio.Task[None] | None = None
        self.closing = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    def send(self, data: bytes | str) -> None:
        if self.closing:
            return
        idle = not self._sending and not self._queue.qsize()
        if idle and self._direct is not None and self._direct.write(data):
            return
        if self._queue.qsize() >= self._max:
            if self._overflow is Overflow.DISCONNECT:
                log.warning("%s fell %d messages behind; dropping it", self._name, self._max)
                self._drop()
                return
            self._queue.get_nowait()
            if self._dropped == 0:
                log.warning("%s is not reading; dropping its oldest messages", self._name)
            self._dropped += 1
        elif self._dropped and self._queue.qsize() < self._max // 2:
            log.info("%s caught up after %d dropped messages", self._name, self._dropped)
            self._dropped = 0
        self._queue.put_nowait(data)

    def _drop(self) -> None:
        # The writer is stuck behind a reader that does not read: queuing a close frame
        # would wait behind it forever, so stop writing and close (or abort) right away.
        self.closing = True
        if self._task is not None:
            self._task.cancel()
        self._dropping = asyncio.get_running_loop().create_task(self._force_close())

    async def _force_close(self) -> None:
        try:
            await asyncio.wait_for(
                self._ws.close(
                    code=WSCloseCode.POLICY_VIOLATION, message=b"client too slow: fell behind"
                ),
                1.0,
            )
        except Exception:
            if self._abort is not None:
                self._abort()

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then close the socket with `reason`."""
        if self.closing:
            return
        self.closing = True
        self._queue.put_nowait(_Close(code, reason))

    async def stop(self, grace_s: float = 2.0) -> None:
        """Stop writing; a close already queued gets `grace_s` to reach the client."""
        if self._dropping is not None:
            await asyncio.gather(self._dropping, return_exceptions=True)
        if self._task is None:
            return
        if self.closing and not self._task.done():
            await asyncio.wait([self._task], timeout=grace_s)
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self._ws.close(code=item.code, message=item.reason.encode())
                    return
                self._sending = True
                if isinstance(item, bytes):
                    await self._ws.send_bytes(item)
                else:
                    await self._ws.send_str(item)
                self._sending = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The peer vanished mid-stream; the reader side notices and cleans up.
            log.debug("%s: send failed: %r", self._name, exc)
