"""The listen-only socket behind `monitor.listenUrl`: both sides of a call as stereo PCM.

Binary frames of PCM s16le, 2 channels interleaved (left: the customer, right: the
assistant) at the call's sample rate, one 20 ms frame per 20 ms on absolute deadlines, as
long as the call is live. Anything a listener sends is ignored. Audio is only buffered
while someone listens, and at most one second of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np
from aiohttp import web

log = logging.getLogger(__name__)

FRAME_S = 0.02
MAX_BUFFER_S = 1.0


class ListenTap:
    def __init__(self, sample_rate: int) -> None:
        self._frame_bytes = 2 * int(round(FRAME_S * sample_rate))
        self._max_bytes = 2 * int(MAX_BUFFER_S * sample_rate)
        self._user = bytearray()
        self._assistant = bytearray()
        self._listeners: set[web.WebSocketResponse] = set()
        self._task: asyncio.Task[None] | None = None

    def feed_user(self, pcm: bytes) -> None:
        self._feed(self._user, pcm)

    def feed_assistant(self, pcm: bytes) -> None:
        self._feed(self._assistant, pcm)

    async def serve(self, ws: web.WebSocketResponse) -> None:
        """Stream to `ws` until it closes or the tap is closed."""
        self._listeners.add(ws)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="vapi-listen")
        try:
            async for _ in ws:
                pass  # listen-only
        finally:
            self._listeners.discard(ws)
            if not self._listeners and self._task is not None:
                self._task.cancel()
                self._task = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for ws in list(self._listeners):
            with contextlib.suppress(Exception):
                await ws.close(message=b"call ended")
        self._listeners.clear()

    def _feed(self, buffer: bytearray, pcm: bytes) -> None:
        if not self._listeners:
            return
        buffer += pcm
        if len(buffer) > self._max_bytes:
            del buffer[: len(buffer) - self._max_bytes]

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            deadline += FRAME_S
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            frame = self._stereo_frame()
            for ws in list(self._listeners):
                try:
                    await ws.send_bytes(frame)
                except Exception:
                    self._listeners.discard(ws)

    def _stereo_frame(self) -> bytes:
        left = _take(self._user, self._frame_bytes)
        right = _take(self._assistant, self._frame_bytes)
        stereo = np.empty(2 * (self._frame_bytes // 2), dtype="<i2")
        stereo[0::2] = np.frombuffer(left, dtype="<i2")
        stereo[1::2] = np.frombuffer(right, dtype="<i2")
        return stereo.tobytes()


def _take(buffer: bytearray, size: int) -> bytes:
    chunk = bytes(buffer[:size])
    del buffer[:size]
    return chunk + bytes(size - len(chunk))
