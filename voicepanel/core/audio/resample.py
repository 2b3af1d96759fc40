"""Streaming sample-rate conversion between a device's own rate and the room's rate."""

from __future__ import annotations

import numpy as np
import soxr

from voicepanel.core.audio.ringbuffer import Samples


class Resampler:
    """Mono float32 streaming resampler; a pass-through when both rates are equal."""

    def __init__(self, in_rate: int, out_rate: int, quality: str = "HQ") -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._quality = quality
        self._stream: soxr.ResampleStream | None = None
        self.reset()

    def reset(self) -> None:
        """Drop the filter's history, e.g. after a device change or a gap."""
        if self.in_rate == self.out_rate:
            self._stream = None
        else:
            self._stream = soxr.ResampleStream(
                self.in_rate, self.out_rate, 1, dtype="float32", quality=self._quality
            )

    def process(self, samples: Samples, last: bool = False) -> Samples:
        if self._stream is None:
            return np.asarray(samples, dtype=np.float32)
        if len(samples) == 0 and not last:
            return np.zeros(0, dtype=np.float32)
        out = self._stream.resample_chunk(np.ascontiguousarray(samples, dtype=np.float32), last)
        return np.asarray(out, dtype=np.float32).reshape(-1)


def resample_once(samples: Samples, in_rate: int, out_rate: int) -> Samples:
    """Whole-signal conversion (WAV files)."""
    if in_rate == out_rate or len(samples) == 0:
        return np.asarray(samples, dtype=np.float32)
    out = soxr.resample(np.asarray(samples, dtype=np.float32), in_rate, out_rate, quality="HQ")
    return np.asarray(out, dtype=np.float32).reshape(-1)
