"""Measures the delay the app itself adds on each side of the socket, from the stamps the
PortAudio callbacks leave (benchmarks; off in normal use)."""

from __future__ import annotations

import time
from collections import deque

from voicepanel.core.audio.timing import StampLog


class PipelineProbe:
    def __init__(self) -> None:
        self.uplink_s: list[float] = []
        """Capture callback that delivered a frame's last sample -> that frame's send."""
        self.downlink_s: list[float] = []
        """Socket receive of a frame's oldest chunk -> output callback that played it."""
        self.downlink_buffered_s: list[float] = []
        """For the same frames: the audio queued ahead of it on purpose (in its jitter
        buffer when it arrived, in the speaker's ring when it was written), so
        ``downlink_s - downlink_buffered_s`` is what the app adds beyond its buffering."""
        self.jitter_target_s: list[float] = []
        self._pending: deque[tuple[int, float, float]] = deque()

    def sent(self, stamps: StampLog, device_position: int, sent_at: float | None = None) -> None:
        captured_at = stamps.time_of(device_position)
        if captured_at is not None:
            now = time.perf_counter() if sent_at is None else sent_at
            self.uplink_s.append(now - captured_at)

    def mixed(self, device_position: int, arrived_at: float | None, queued_s: float = 0.0) -> None:
        """A frame whose first sample lands at ``device_position`` of the playback ring,
        with ``queued_s`` of audio queued ahead of it on its way."""
        if arrived_at is not None:
            self._pending.append((device_position, arrived_at, queued_s))

    def resolve(self, stamps: StampLog) -> None:
        """Match mixed frames with the output callbacks that have played them since."""
        last = stamps.last()
        if last is None:
            return
        while self._pending and self._pending[0][0] < last[0]:
            position, arrived_at, queued_s = self._pending.popleft()
            played_at = stamps.time_of(position + 1)
            if played_at is not None:
                self.downlink_s.append(played_at - arrived_at)
                self.downlink_buffered_s.append(queued_s)
