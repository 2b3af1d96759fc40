"""Per-peer playout buffer: absorbs network jitter, plays silence on underrun, drops the
oldest audio on overrun, and adapts its target depth to what the network does."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from voicepanel.core.audio.ringbuffer import RingBuffer, Samples


class JitterState(Enum):
    IDLE = "idle"
    """Nothing to play (the peer is silent or has not started)."""
    BUFFERING = "buffering"
    """Audio is arriving; waiting for the target depth before playing."""
    PLAYING = "playing"
    STARVED = "starved"
    """Ran dry while playing: silence. More audio soon means it was an underrun; a long
    gap means the peer just stopped talking."""


@dataclass(frozen=True)
class JitterConfig:
    frame_size: int
    min_target_frames: int = 1
    """Start (and floor) at one frame, 20 ms: each underrun adds a frame, each calm spell
    takes one away. The speaker's lead also lets a late frame be waited for (LocalAgent)."""
    max_target_frames: int = 10
    overrun_margin_frames: int = 6
    """Depth above target at which the oldest audio is dropped back to the target."""
    starve_grace_frames: int = 25
    """Dry frames (500 ms) after which a gap counts as the end of a talk spurt."""
    excess_frames: int = 1
    """Spare depth (whole frames above the target) that, found before every pull for
    ``excess_hold_frames`` pulls in a row, is dropped at once: arrivals and the speaker run
    at the same rate, so audio left over from a burst would otherwise stay late for the
    whole call."""
    excess_hold_frames: int = 50
    """1 s: a burst after a stall is absorbed, then latency converges back to the target."""
    calm_frames_to_shrink: int = 500
    """Frames played without an underrun (10 s at 20 ms) before the target shrinks by one."""
    capacity_frames: int = 100


@dataclass(frozen=True)
class JitterStats:
    depth_ms: float
    target_ms: float
    underruns: int
    overruns: int
    dropped_ms: float
    state: JitterState


class JitterBuffer:
    """Push chunks of any size as they arrive; pull one frame per playout tick."""

    def __init__(self, config: JitterConfig, rate: int) -> None:
        self.config = config
        self.rate = rate
        self._ring = RingBuffer(config.frame_size * config.capacity_frames)
        self._target = config.min_target_frames
        self.state = JitterState.IDLE
        self.underruns = 0
        self.overruns = 0
        self.dropped_samples = 0
        self._calm = 0
        self._starved = 0
        self._excess_run = 0
        self._least_depth = 0
        self._arrivals: deque[tuple[int, float, int]] = deque()
        self.last_frame_arrival: float | None = None
        self.last_frame_queued_s = 0.0
        """Audio that was queued ahead of ``last_frame_arrival``'s chunk when it arrived:
        the wait this buffer imposed on it by design (benchmarks)."""

    @property
    def target_frames(self) -> int:
        return self._target

    @property
    def depth(self) -> int:
        return self._ring.available

    def push(self, samples: Samples, arrived_at: float = 0.0) -> None:
        fs = self.config.frame_size
        if self.state is JitterState.STARVED:
            self.underruns += 1
            self._calm = 0
            self._target = min(self._target + 1, self.config.max_target_frames)
            self.state = JitterState.BUFFERING
        elif self.state is JitterState.IDLE:
            self.state = JitterState.BUFFERING
        limit = (self._target + self.config.overrun_margin_frames) * fs
        incoming = len(samples)
        if self._ring.available + incoming > limit:
            # Drop the oldest audio back down to the target depth: late audio is worse
            # than a short skip in a conversation.
            excess = self._ring.available + incoming - self._target * fs
            skipped = self._ring.skip(excess)
            self.overruns += 1
            self.dropped_samples += excess
            if excess > skipped:
                samples = samples[excess - skipped :]
            self._forget_arrivals(self._ring.consumed)
        ahead = self._ring.available
        self._ring.write(samples)
        self._arrivals.append((self._ring.written, arrived_at, ahead))

    def pull(self) -> Samples | None:
        """The next frame, or None when this peer has nothing to play right now."""
        fs = self.config.frame_size
        if self.state is JitterState.BUFFERING and self._ring.available >= self._target * fs:
            self.state = JitterState.PLAYING
            self._starved = 0
        if self.state is JitterState.STARVED:
            self._starved += 1
            if self._starved >= self.config.starve_grace_frames:
                self.state = JitterState.IDLE
            return None
        if self.state is not JitterState.PLAYING:
            return None
        depth = self._ring.available
        if depth >= (self._target + self.config.excess_frames) * fs:
            self._least_depth = depth if self._excess_run == 0 else min(self._least_depth, depth)
            self._excess_run += 1
            if self._excess_run >= self.config.excess_hold_frames:
                # The spare audio was never needed for a whole window: drop it in one go
                # (one skip, not one per frame) so latency converges back to the target.
                spare = (self._least_depth - self._target * fs) // fs * fs
                self._ring.skip(spare)
                self.overruns += 1
                self.dropped_samples += spare
                self._excess_run = 0
        else:
            self._excess_run = 0
        frame = np.zeros(fs, dtype=np.float32)
        got = self._ring.read_into(frame)
        self.last_frame_arrival, ahead = self._arrival_of(self._ring.consumed)
        self.last_frame_queued_s = ahead / self.rate
        if got < fs:
            self.state = JitterState.STARVED
            self._starved = 0
            return frame if got else None
        self._calm += 1
        if (
            self._calm >= self.config.calm_frames_to_shrink
            and self._target > self.config.min_target_frames
        ):
            self._target -= 1
            self._calm = 0
        return frame

    def clear(self) -> None:
        self._ring.skip(self._ring.available)
        self._arrivals.clear()
        self.state = JitterState.IDLE

    def stats(self) -> JitterStats:
        ms = 1000.0 / self.rate
        return JitterStats(
            depth_ms=self._ring.available * ms,
            target_ms=self._target * self.config.frame_size * ms,
            underruns=self.underruns,
            overruns=self.overruns,
            dropped_ms=self.dropped_samples * ms,
            state=self.state,
        )

    def _arrival_of(self, position: int) -> tuple[float | None, int]:
        """Arrival time of the chunk that held the sample just before ``position``, and
        how much audio was queued ahead of it then."""
        found: tuple[float | None, int] = (None, 0)
        for end, at, ahead in self._arrivals:
            if end >= position:
                found = (at, ahead)
                break
        self._forget_arrivals(position)
        return found

    def _forget_arrivals(self, position: int) -> None:
        while self._arrivals and self._arrivals[0][0] < position:
            self._arrivals.popleft()
