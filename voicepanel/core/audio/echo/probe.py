"""Speech-like probe signals and a synthetic echo path (delay, attenuation, a short room
response), to measure echo cancellation where no real room is at hand: tests, the
benchmark, and a self-check."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float32]


def speech_like(
    sample_rate: int,
    seconds: float,
    *,
    seed: int = 0,
    level_db: float = -20.0,
    pauses: bool = True,
) -> Signal:
    """Syllable-rate bursts (3-6 Hz) of a gliding harmonic 'voice' plus shaped noise, with
    pauses of about a second between 'words' unless ``pauses`` is False: the on/off
    envelope and the spectrum of speech, roughly. ``level_db`` is the RMS in dBFS."""
    rng = np.random.default_rng(seed)
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    pitch = 120.0 + 60.0 * np.sin(2 * np.pi * 0.4 * t + rng.uniform(0, 6.3))
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    # Noise with a gentle low-pass, like fricatives seen through a phone microphone.
    noise = np.convolve(rng.standard_normal(n), np.hanning(9) / 4.5, mode="same")
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * t)
    words = (np.sin(2 * np.pi * 0.45 * t + rng.uniform(0, 6.3)) > -0.3).astype(float)
    if not pauses:
        words[:] = 1.0
    envelope = np.convolve(syllables * words, np.ones(160) / 160, mode="same")
    x = envelope * (voice + 0.6 * noise)
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return (x * (10 ** (level_db / 20.0) / rms)).astype(np.float32)


def room_response(sample_rate: int, *, seed: int = 1, length_ms: float = 20.0) -> Signal:
    """A short FIR room response: the direct path, a few early reflections and a decaying
    diffuse tail, normalised so the direct path is 1."""
    rng = np.random.default_rng(seed)
    n = max(2, int(sample_rate * length_ms / 1000.0))
    decay = np.exp(-np.arange(n) / (0.004 * sample_rate))
    h = 0.15 * rng.standard_normal(n) * decay
    for delay_ms, gain in ((2.5, 0.5), (6.0, -0.35), (11.0, 0.2)):
        i = int(sample_rate * delay_ms / 1000.0)
        if i < n:
            h[i] += gain
    h[0] = 1.0
    return h.astype(np.float32)


def echo_of(
    far: Signal,
    sample_rate: int,
    *,
    delay_ms: float,
    gain_db: float,
    response: Signal | None = None,
) -> Signal:
    """What a microphone picks up of ``far`` played into a room: filtered, attenuated so
    its level is ``gain_db`` relative to ``far``, and delayed; same length as ``far``."""
    h = room_response(sample_rate) if response is None else response
    wet = np.convolve(far.astype(np.float64), h)[: len(far)]
    dry_rms = float(np.sqrt(np.mean(far.astype(np.float64) ** 2))) or 1.0
    wet_rms = float(np.sqrt(np.mean(wet**2))) or 1.0
    wet *= 10 ** (gain_db / 20.0) * dry_rms / wet_rms
    d = int(round(sample_rate * delay_ms / 1000.0))
    out = np.zeros(len(far), dtype=np.float64)
    out[d:] = wet[: len(far) - d]
    return out.astype(np.float32)
