"""Measures the delay the app itself adds on each side of the socket, from the stamps the
PortAudio callbacks leave (benchmarks; off in normal use)."""

from __future__ import annotations

import time
from collections import deque

from voicepanel.core.audio.jitter import JitterBuffer
from voicepanel.core.audio.timing import StampLog


class PipelineProbe:
    def __init__(self) -> None:
        self.uplink_s: list[float] = []
        """Capture callback that delivered a frame's last sample -> that frame's send."""
        self.downlink_s: list[float] = []
        """Socket receive of a chunk -> the speaker's callback that mixed its first sample."""
        self.downlink_buffered_s: list[float] = []
        """For the same chunks: the audio queued ahead of it on purpose in its jitter buffer
        when it arrived, so ``downlink_s - downlink_buffered_s`` is what the app adds
        beyond its buffering."""
        self.arrival_gaps_s: list[float] = []
        """Time between two chunks of one peer coming off the socket: 20 ms when the
        network and the talker keep pace; a jitter buffer of depth D runs dry when a gap
        is longer than about D + 20 ms."""
        self._last_arrival: dict[int, float] = {}

    def sent(self, stamps: StampLog, device_position: int, sent_at: float | None = None) -> None:
        captured_at = stamps.time_of(device_position)
        if captured_at is not None:
            now = time.perf_counter() if sent_at is None else sent_at
            self.uplink_s.append(now - captured_at)

    def resolve_peer(self, jitter: JitterBuffer) -> None:
        """Match the chunks a peer's buffer received with the pulls that played them (the
        first call starts noting arrivals)."""
        arrivals = jitter.arrivals
        if arrivals is None:
            jitter.arrivals = deque()
            return
        last = jitter.played.last()
        if last is None:
            return
        previous = self._last_arrival.get(id(jitter))
        while arrivals and arrivals[0][0] < last[0]:
            start, arrived_at, ahead = arrivals.popleft()
            if previous is not None:
                self.arrival_gaps_s.append(arrived_at - previous)
            previous = self._last_arrival[id(jitter)] = arrived_at
            played_at = jitter.played.time_of(start + 1)
            if played_at is not None:
                self.downlink_s.append(played_at - arrived_at)
                self.downlink_buffered_s.append(ahead / jitter.rate)
