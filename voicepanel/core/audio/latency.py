"""Voice-to-voice latency: from the end of each local utterance to the first audible
frame of the reply, both found by energy VAD on one clock."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.vad import EnergyVad, VadConfig, VadEventKind


@dataclass(frozen=True)
class Turn:
    index: int
    local_end: float
    reply_start: float

    @property
    def latency_s(self) -> float:
        return self.reply_start - self.local_end


@dataclass(frozen=True)
class LatencySummary:
    count: int
    min_s: float | None
    median_s: float | None
    p90_s: float | None


def summarize(latencies: list[float]) -> LatencySummary:
    if not latencies:
        return LatencySummary(0, None, None, None)
    ordered = sorted(latencies)
    # Nearest-rank p90: with few turns it is an observed value, never an interpolation.
    rank = max(0, -(-9 * len(ordered) // 10) - 1)
    return LatencySummary(len(ordered), ordered[0], statistics.median(ordered), ordered[rank])


class TurnLatencyMeter:
    """Feed what the local side says and what the room plays back, each with the time
    its first sample is heard; every reply that starts after a local utterance ended
    closes one turn."""

    def __init__(self, local_vad: VadConfig | None = None, remote_vad: VadConfig | None = None):
        self._local = EnergyVad(local_vad)
        # A reply is "heard" at its first voiced frames: no long onset for the far side.
        self._remote = EnergyVad(remote_vad or VadConfig(onset_frames=1))
        self._pending_end: float | None = None
        self._early_reply: float | None = None
        self.turns: list[Turn] = []

    def local(self, frame: Samples, at: float, duration: float) -> Turn | None:
        event = self._local.process(frame, at, duration)
        if event is None:
            return None
        if event.kind is VadEventKind.SPEECH_START:
            self._pending_end = None
            self._early_reply = None
            return None
        early, self._early_reply = self._early_reply, None
        if early is not None and early >= event.at:
            # The reply began inside the local hangover, before the end was reported.
            return self._close_turn(event.at, early)
        self._pending_end = event.at
        return None

    def remote(self, frame: Samples, at: float, duration: float) -> Turn | None:
        event = self._remote.process(frame, at, duration)
        if event is None or event.kind is not VadEventKind.SPEECH_START:
            return None
        if self._local.in_hangover:
            self._early_reply = event.at
            return None
        if self._pending_end is None or self._local.speaking or event.at < self._pending_end:
            return None
        return self._close_turn(self._pending_end, event.at)

    def _close_turn(self, local_end: float, reply_start: float) -> Turn:
        turn = Turn(len(self.turns) + 1, local_end, reply_start)
        self.turns.append(turn)
        self._pending_end = None
        return turn

    def summary(self) -> LatencySummary:
        return summarize([t.latency_s for t in self.turns])
