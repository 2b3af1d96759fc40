"""Real-time playout: per-track queues, each released 20 ms at a time on its own timer.

Agents send audio as fast as they like; each track's timer releases one 20 ms frame when it
is due. Due times advance by exactly the audio released (absolute monotonic deadlines, so
the rate never drifts). A track may play up to one frame ahead of its schedule, and a frame
that may play when it arrives goes out within the call that brought it, with no timer in
between. Tracks are timed independently, so a paced sender's frame waits for nobody else's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from voicepanel.sandbox.fishjam.audio import SAMPLE_BYTES, frame_bytes, to_mono

log = logging.getLogger(__name__)

# Ten minutes of queued audio per track is far beyond any real turn; past it the
# oldest audio is dropped so a runaway sender cannot exhaust memory.
MAX_QUEUED_S = 600.0
# How far behind its schedule a track may run before the schedule moves instead: one frame.
JITTER_ALLOWANCE_S = 0.02
# How far ahead of its schedule a track may play: one frame. A track's schedule is set by
# its first frame, which is often its latest (it comes in the start-up rush), so a paced
# sender's later frames arrive a little before their slots: they go out as they arrive
# instead of waiting (that wait was most of the routing delay at 20 rooms). Over any
# stretch of time a track still plays no more than real time plus one frame.
LEAD_ALLOWANCE_S = 0.02

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

    def is_one_frame(self, pcm: bytes) -> bool:
        """True if `pcm` is exactly one frame that would be queued as it is (mono, nothing
        carried over from the last push)."""
        return len(pcm) == self._frame and self.channels == 1 and not self._carry

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


class TrackPlayer:
    """One track's queue and the timer that plays it out."""

    def __init__(self, track_id: str, queue: TrackQueue, sink: FrameSink) -> None:
        self._track_id = track_id
        self._queue = queue
        self._sink = sink
        self._loop = asyncio.get_running_loop()
        self._next_due = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    @property
    def queue(self) -> TrackQueue:
        return self._queue

    def push(self, pcm: bytes) -> None:
        if (
            self._timer is None
            and not self._queue
            and self._queue.is_one_frame(pcm)
            and self._next_due - LEAD_ALLOWANCE_S <= self._loop.time()
        ):
            self._play(pcm)  # what queuing it and emitting it at once would do, minus copies
            return
        self._queue.push(pcm)
        if self._queue and self._timer is None:
            if self._next_due - LEAD_ALLOWANCE_S <= self._loop.time():
                self._emit()
            else:
                self._timer = self._loop.call_at(self._next_due - LEAD_ALLOWANCE_S, self._emit)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _emit(self) -> None:
        self._timer = None
        frame = self._queue.pop_frame()
        if frame is not None:
            self._play(frame)

    def _play(self, frame: bytes) -> None:
        # A frame starts where the previous one ended (absolute schedule: timer lateness
        # never adds up), but never more than JITTER_ALLOWANCE_S in the past: after a
        # stall or a late frame the track catches up by at most that much, so a paced
        # sender's network jitter does not pile up as delay, and no backlog bursts out.
        start = max(self._next_due, self._loop.time() - JITTER_ALLOWANCE_S)
        self._next_due = start + len(frame) / SAMPLE_BYTES / self._queue.sample_rate
        try:
            self._sink(self._track_id, frame)
        except Exception:
            log.exception("delivering a frame of track %s failed", self._track_id)
        if self._queue:
            self._timer = self._loop.call_at(self._next_due - LEAD_ALLOWANCE_S, self._emit)


class RoomPlayout:
    """Plays every track of one room out in real time to `sink`."""

    def __init__(self, sink: FrameSink, name: str) -> None:
        self._sink = sink
        self._name = name
        self._players: dict[str, TrackPlayer] = {}

    def add_track(self, track_id: str, sample_rate: int, channels: int) -> None:
        self._players[track_id] = TrackPlayer(
            track_id, TrackQueue(sample_rate, channels), self._sink
        )

    def remove_track(self, track_id: str) -> None:
        player = self._players.pop(track_id, None)
        if player is not None:
            player.stop()

    def push(self, track_id: str, pcm: bytes) -> None:
        player = self._players.get(track_id)
        if player is not None:
            player.push(pcm)

    def interrupt(self, track_id: str) -> None:
        player = self._players.get(track_id)
        if player is not None:
            player.queue.flush()

    def queued_s(self, track_id: str) -> float:
        player = self._players.get(track_id)
        return player.queue.queued_s if player is not None else 0.0

    async def close(self) -> None:
        for player in self._players.values():
            player.stop()
        self._players.clear()
