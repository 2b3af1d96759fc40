"""Signal levels in dBFS (RMS and peak), computed on the asyncio side, read by the UI."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.ringbuffer import Samples

FLOOR_DBFS = -120.0


@dataclass(frozen=True)
class Level:
    rms_dbfs: float = FLOOR_DBFS
    peak_dbfs: float = FLOOR_DBFS


def to_dbfs(amplitude: float) -> float:
    """Amplitude relative to full scale (1.0) in dB, floored at -120 dBFS."""
    if amplitude <= 0.0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20.0 * math.log10(amplitude))


def energy_dbfs(samples: Samples) -> float:
    """RMS of one block in dBFS (float32 dot product: the VAD's per-frame test)."""
    n = len(samples)
    if n == 0:
        return FLOOR_DBFS
    return to_dbfs(math.sqrt(float(np.dot(samples, samples)) / n))


def measure(samples: Samples) -> Level:
    """RMS and peak of one block. A full-scale sine reads -3.01 dBFS RMS, 0 dBFS peak."""
    if len(samples) == 0:
        return Level()
    x = np.asarray(samples, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x * x)))
    peak = float(np.max(np.abs(x)))
    return Level(to_dbfs(rms), to_dbfs(peak))


class LevelMeter:
    """Keeps the loudest level seen since the UI last took a reading (~30 Hz), so a short
    burst between two repaints is not missed."""

    def __init__(self) -> None:
        self._window_sq = 0.0
        self._window_n = 0
        self._window_peak = 0.0
        self.latest = Level()

    def update(self, samples: Samples) -> None:
        """Two reductions over the block, in float32 (no copy): the meters run for every
        frame of every peer, and a meter needs no float64 precision."""
        if len(samples) == 0:
            return
        self._window_sq += float(np.dot(samples, samples))
        self._window_n += len(samples)
        peak = max(float(samples.max()), -float(samples.min()))
        if peak > self._window_peak:
            self._window_peak = peak

    def take(self) -> Level:
        """Level over the samples since the previous call; the last one when none came."""
        if self._window_n:
            rms = math.sqrt(self._window_sq / self._window_n)
            self.latest = Level(to_dbfs(rms), to_dbfs(self._window_peak))
        else:
            self.latest = Level()
        self._window_sq = 0.0
        self._window_n = 0
        self._window_peak = 0.0
        return self.latest
