"""Real-time playout of the assistant's audio: one 20 ms frame per 20 ms.

Frames leave on absolute monotonic deadlines (start + n * 20 ms), so scheduling jitter
never accumulates into drift. Clips queue behind each other without a gap; `interrupt`
drops the clip that is playing and everything queued behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

FRAME_S = 0.02


@dataclass(eq=False)
class Clip:
    """A piece of assistant speech and what to do when it starts and stops."""

    pcm: bytes
    on_start: Callable[[], None] | None = None
    # Called with the seconds actually played and whether it was cut short.
    on_finish: Callable[[float, bool], None] | None = None
    cancelled: bool = field(default=False, init=False)


class PacedPlayer:
    def __init__(self, sample_rate: int, sink: Callable[[bytes], None]) -> None:
        self._frame_bytes = 2 * int(round(FRAME_S * sample_rate))
        self._sink = sink
        self._queue: asyncio.Queue[Clip] = asyncio.Queue()
        self._current: Clip | None = None
        self._task: asyncio.Task[None] | None = None
        self._deadline = 0.0
        self._played_s = 0.0

    @property
    def busy(self) -> bool:
        return self._current is not None or not self._queue.empty()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="vapi-playout")

    def play(self, clip: Clip) -> None:
        self._queue.put_nowait(clip)

    def interrupt(self) -> bool:
        """Stop what is playing and drop what is queued; True if anything was."""
        was_busy = self.busy
        while not self._queue.empty():
            self._finish(self._queue.get_nowait(), 0.0, True)
        if self._current is not None:
            self._current.cancelled = True
        return was_busy

    async def close(self) -> None:
        self.interrupt()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            clip = await self._queue.get()
            self._current = clip
            self._played_s = 0.0
            try:
                await self._play_clip(clip, loop)
                self._finish(clip, self._played_s, clip.cancelled)
            except asyncio.CancelledError:
                self._finish(clip, self._played_s, True)
                raise
            except Exception:
                log.exception("Playout of a clip failed")
            finally:
                self._current = None

    async def _play_clip(self, clip: Clip, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        if self._deadline < now:
            self._deadline = now  # idle before: start now; else continue back to back
        _call(clip.on_start)
        step = self._frame_bytes
        for offset in range(0, len(clip.pcm), step):
            delay = self._deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if clip.cancelled:
                break
            frame = clip.pcm[offset : offset + step]
            if len(frame) < step:
                frame += bytes(step - len(frame))
            self._sink(frame)
            self._played_s += FRAME_S
            self._deadline += FRAME_S

    @staticmethod
    def _finish(clip: Clip, played_s: float, interrupted: bool) -> None:
        if clip.on_finish is not None:
            try:
                clip.on_finish(played_s, interrupted)
            except Exception:
                log.exception("A clip's finish callback failed")


def _call(callback: Callable[[], None] | None) -> None:
    if callback is None:
        return
    try:
        callback()
    except Exception:
        log.exception("A clip's start callback failed")
