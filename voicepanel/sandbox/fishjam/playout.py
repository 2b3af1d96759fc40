"""Real-time playout: per-track queues drained by one clock per room, 20 ms at a time.

Agents send audio as fast as they like; the room's clock releases at most one 20 ms frame
per track per tick, on absolute monotonic deadlines so the rate never drifts. When every
queue is empty the clock sleeps until audio arrives, but never releases a track's next
frame sooner than one frame after its previous one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from voicepanel.sandbox.fishjam.audio import FRAME_S, SAMPLE_BYTES, frame_bytes, to_mono

log = logging.getLogger(__name__)

# Ten minutes of queued audio per track is far beyond any real turn; past it the
# oldest audio is dropped so a runaway sender cannot exhaust memory.
MAX_QUEUED_S = 600.0
# After a stall longer than this (a busy loop, a suspended laptop) the clock restarts from
# now instead of bursting the backlog out to catch up.
MAX_LAG_S = 0.2

FrameSink = Callable[[str, bytes], None]


class TrackQueue:
    """Audio of one track waiting to be played, kept as mono PCM16 at the track's rate."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._queued = bytearray()
        self._carry = b""
        self._frame = frame_bytes(sample_rate)
        self._max = int(MAX_QUEUED_S * sample_rate) * SAMPLE_BYTES

    def push(self, pcm: bytes) -> None:
        data = self._carry + pcm
        whole = len(data) - len(data) % (SAMPLE_BYTES * self.channels)
        self._carry = data[whole:]
        self._queued += to_mono(data[:whole], self.channels)
        if len(self._queued) > self._max:
            del self._queued[: len(self._queued) - self._max]

    def pop_frame(self) -> bytes | None:
        if not self._queued:
            return None
        frame = bytes(self._queued[: self._frame])
        del self._queued[: self._frame]
        return frame

    def flush(self) -> None:
        self._queued.clear()
        self._carry = b""

    @property
    def queued_s(self) -> float:
        return len(self._queued) / SAMPLE_BYTES / self.sample_rate

    def __bool__(self) -> bool:
        return bool(self._queued)


class RoomPlayout:
    """The clock of one room: plays every track's queue out in real time to `sink`."""

    def __init__(self, sink: FrameSink, name: str) -> None:
        self._sink = sink
        self._name = name
        self._tracks: dict[str, TrackQueue] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_tick = float("-inf")

    def add_track(self, track_id: str, sample_rate: int, channels: int) -> None:
        self._tracks[track_id] = TrackQueue(sample_rate, channels)

    def remove_track(self, track_id: str) -> None:
        self._tracks.pop(track_id, None)

    def push(self, track_id: str, pcm: bytes) -> None:
        queue = self._tracks.get(track_id)
        if queue is None:
            return
        queue.push(pcm)
        if queue:
            self._ensure_running()
            self._wake.set()

    def interrupt(self, track_id: str) -> None:
        queue = self._tracks.get(track_id)
        if queue is not None:
            queue.flush()

    def queued_s(self, track_id: str) -> float:
        queue = self._tracks.get(track_id)
        return queue.queued_s if queue is not None else 0.0

    async def close(self) -> None:
        self._tracks.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"playout {self._name}"
            )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._wake.wait()
                deadline = max(loop.time(), self._last_tick + FRAME_S)
                while True:
                    delay = deadline - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    elif delay < -MAX_LAG_S:
                        deadline = loop.time()
                    self._last_tick = deadline
                    if not self._tick():
                        self._wake.clear()
                        break
                    deadline += FRAME_S
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("playout clock of room %s failed", self._name)

    def _tick(self) -> bool:
        """Release one frame of each track with queued audio; True if any audio remains."""
        for track_id, queue in list(self._tracks.items()):
            frame = queue.pop_frame()
            if frame is None:
                continue
            try:
                self._sink(track_id, frame)
            except Exception:
                log.exception("delivering a frame of track %s failed", track_id)
        return any(self._tracks.values())
