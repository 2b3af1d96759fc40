"""Per-peer playout buffer: absorbs network jitter, plays silence on underrun, drops the
oldest audio on overrun, and adapts its target depth to what the network does.

Two threads share it without a lock: the audio loop pushes what the socket delivered
(the producer), the speaker's callback pulls one frame per block (the consumer). The ring
(``RingBuffer``) is single-producer/single-consumer; every playout decision (when to start
playing, underruns, the target, dropping spare audio) is the consumer's, made from the
depth it sees, so the producer never writes the consumer's state.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from voicepanel.core.audio.ringbuffer import RingBuffer, Samples
from voicepanel.core.audio.timing import StampLog


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
    min_target_frames: int = 2
    """Start (and floor) at two frames, 40 ms: each underrun adds a frame, each calm spell
    takes one away. One frame (20 ms) left no room for the speaker's callback or the audio
    loop to be a few milliseconds late: on a loaded machine, or while the window's thread
    held the interpreter, that was a gap (underruns in the stall test and the benchmarks);
    the second frame is the slack that the speaker's 40 ms queue used to give before the
    callback mixed by itself."""
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
    """Frames played without an underrun (10 s at 20 ms) before the target shrinks by one.
    A shrink that was wrong (an underrun comes within ``regret_frames`` of it) doubles this
    for the rest of the call (up to ``max_calm_frames``), so a network that needs the depth
    keeps it instead of paying a gap every ten seconds."""
    regret_frames: int = 500
    max_calm_frames: int = 30_000
    late_pull_frames: float = 2.5
    """A pull this many frame periods after the previous one means the speaker's callback
    was late (a busy machine, the sound server catching up): PortAudio then calls back
    block after block to refill its buffer, and the audio that piled up meanwhile is
    what those calls play. It is not dropped as an overrun until they are done: dropping
    it left the catch-up calls nothing but silence, a gap heard for a pile-up that was
    about to drain by itself."""
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
    """``push`` chunks of any size as they arrive; ``pull_into`` one frame per block."""

    def __init__(self, config: JitterConfig, rate: int) -> None:
        self.config = config
        self.rate = rate
        self._ring = RingBuffer(config.frame_size * config.capacity_frames)
        # Consumer's state (the speaker's callback, or the loop's clock without a speaker).
        self._target = config.min_target_frames
        self.state = JitterState.IDLE
        self.underruns = 0
        self.overruns = 0
        self.dropped_samples = 0
        self._calm = 0
        self._calm_needed = config.calm_frames_to_shrink
        self._since_shrink: int | None = None
        self._starved = 0
        self._excess_run = 0
        self._least_depth = 0
        self._clear_asked = False
        self._last_pull = 0.0
        self._catch_up = 0
        """Pulls still expected back to back after a late callback."""
        # Timing probe (benchmarks): the producer notes each chunk, the consumer stamps
        # its position after each pull.
        self.arrivals: deque[tuple[int, float, int]] | None = None
        """(ring position of the chunk's first sample, arrival time, samples queued ahead
        of it then); None unless a probe asked for it."""
        self.played = StampLog(256)

    @property
    def target_frames(self) -> int:
        return self._target

    @property
    def depth(self) -> int:
        return self._ring.available

    @property
    def consumed(self) -> int:
        return self._ring.consumed

    # -- producer ------------------------------------------------------------------------

    def push(self, samples: Samples, arrived_at: float = 0.0) -> None:
        """Queue a chunk (audio loop). A full ring (the consumer stopped) drops the newest."""
        arrivals = self.arrivals
        if arrivals is not None:
            arrivals.append((self._ring.written, arrived_at, self._ring.available))
        self._ring.write(samples)

    def clear(self) -> None:
        """Forget what is queued (the connection dropped); done by the consumer's next pull."""
        self._clear_asked = True

    # -- consumer ------------------------------------------------------------------------

    def pull_into(self, out: Samples, now: float | None = None) -> int:
        """Fills ``out`` (one frame) with the next audio and returns how many samples are
        real; 0 (and ``out`` untouched) when this peer has nothing to play right now.
        ``now`` is when the speaker's callback runs (perf_counter): it tells a late
        callback, whose catch-up calls follow, from audio arriving in a burst."""
        ring = self._ring
        fs = self.config.frame_size
        if now is not None:
            last, self._last_pull = self._last_pull, now
            frame_s = fs / self.rate
            if last and now - last > self.config.late_pull_frames * frame_s:
                self._catch_up = int((now - last) / frame_s)
            elif self._catch_up:
                self._catch_up -= 1
        if self._clear_asked:
            self._clear_asked = False
            ring.skip(ring.available)
            self.state = JitterState.IDLE
        depth = ring.available
        state = self.state
        if depth and (state is JitterState.STARVED or state is JitterState.IDLE):
            if state is JitterState.STARVED:
                # Audio came back while we were playing silence: a gap was heard.
                self.underruns += 1
                self._calm = 0
                self._target = min(self._target + 1, self.config.max_target_frames)
                if (
                    self._since_shrink is not None
                    and self._since_shrink < self.config.regret_frames
                ):
                    self._calm_needed = min(2 * self._calm_needed, self.config.max_calm_frames)
                self._since_shrink = None
            state = self.state = JitterState.BUFFERING
        if state is JitterState.BUFFERING:
            if depth < self._target * fs:
                return 0
            state = self.state = JitterState.PLAYING
            self._starved = 0
        elif state is JitterState.STARVED:
            self._starved += 1
            if self._starved >= self.config.starve_grace_frames:
                self.state = JitterState.IDLE
            return 0
        elif state is JitterState.IDLE:
            return 0
        target = self._target * fs
        far_behind = depth > (self._target + self.config.overrun_margin_frames) * fs
        if far_behind and not self._catch_up:
            # Far behind (a burst after a stall): drop the oldest back to the target, late
            # audio is worse than a short skip in a conversation.
            ring.skip(depth - target)
            self.overruns += 1
            self.dropped_samples += depth - target
            depth = target
            self._excess_run = 0
        elif depth >= (self._target + self.config.excess_frames) * fs:
            self._least_depth = depth if self._excess_run == 0 else min(self._least_depth, depth)
            self._excess_run += 1
            if self._excess_run >= self.config.excess_hold_frames:
                # The spare audio was never needed for a whole window: drop it in one go
                # so latency converges back to the target.
                spare = (self._least_depth - target) // fs * fs
                ring.skip(spare)
                self.overruns += 1
                self.dropped_samples += spare
                self._excess_run = 0
        else:
            self._excess_run = 0
        got = ring.read_into(out)
        if self.arrivals is not None:
            self.played.mark(ring.consumed, time.perf_counter())
        if got < fs:
            self.state = JitterState.STARVED
            self._starved = 0
            return got
        self._calm += 1
        if self._since_shrink is not None:
            self._since_shrink += 1
        if self._calm >= self._calm_needed and self._target > self.config.min_target_frames:
            self._target -= 1
            self._calm = 0
            self._since_shrink = 0
        return got

    def pull(self) -> Samples | None:
        """One frame as a new array, or None (tests and tools; the callback uses
        ``pull_into``)."""
        frame = np.zeros(self.config.frame_size, dtype=np.float32)
        return frame if self.pull_into(frame) else None

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
