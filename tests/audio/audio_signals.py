"""Synthetic test signals."""

from __future__ import annotations

import numpy as np

from voicepanel.core.audio.ringbuffer import Samples


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> Samples:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, rate: int) -> Samples:
    return np.zeros(int(round(seconds * rate)), dtype=np.float32)


def peak_frequency(samples: Samples, rate: int) -> float:
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(np.asarray(samples, dtype=np.float64) ** 2)))
