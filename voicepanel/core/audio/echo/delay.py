"""How late the echo arrives: the stream delay WebRTC wants from the streams' latencies,
and an estimate of the real echo delay from a recording, by cross-correlation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.echo.levels import as_float

MAX_STREAM_DELAY_MS = 500
"""WebRTC's APM accepts stream delays of 0..500 ms and clamps (with a warning) beyond."""


def _latency_s(latency: float | Sequence[float], index: int) -> float:
    # sounddevice gives a float for InputStream/OutputStream and (input, output) for Stream.
    if isinstance(latency, Sequence):
        return float(latency[index])
    return float(latency)


def stream_delay_ms(
    input_latency_s: float | Sequence[float],
    output_latency_s: float | Sequence[float],
    *,
    input_buffered_s: float = 0.0,
    output_buffered_s: float = 0.0,
) -> int:
    """The APM's stream delay: (render - analyze) + (process - capture).

    ``input_latency_s`` / ``output_latency_s`` are the streams' ``.latency`` (a float, or
    the ``(input, output)`` pair of a duplex ``sd.Stream``); ``output_buffered_s`` is what
    waits in the playback ring ahead of a far frame when it is analysed, and
    ``input_buffered_s`` what waited in the capture ring and framer before a near frame
    reached the canceller.
    """
    total = (
        _latency_s(output_latency_s, 1)
        + output_buffered_s
        + _latency_s(input_latency_s, 0)
        + input_buffered_s
    )
    return int(min(MAX_STREAM_DELAY_MS, max(0, round(total * 1000.0))))


@dataclass(frozen=True)
class DelayEstimate:
    delay_ms: float
    delay_samples: int
    gain_db: float
    """Level of the echo relative to the far signal at that delay."""
    confidence: float
    """Normalised correlation at the peak, 0..1: above ~0.3 the echo is clearly there."""


def estimate_echo_delay(
    far: npt.NDArray[np.generic],
    near: npt.NDArray[np.generic],
    sample_rate: int,
    max_delay_ms: float = 1000.0,
) -> DelayEstimate:
    """Where ``far`` reappears in ``near`` (both from the same start), by FFT
    cross-correlation over lags 0..max_delay_ms. For tests, benchmarks and calibration,
    not for the audio path: it looks at whole recordings."""
    x = as_float(far).ravel()
    y = as_float(near).ravel()
    max_lag = min(len(y) - 1, int(sample_rate * max_delay_ms / 1000.0))
    size = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    xcorr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size)), size)
    lag = int(np.argmax(np.abs(xcorr[: max_lag + 1])))
    overlap = min(len(x), len(y) - lag)
    xs, ys = x[:overlap], y[lag : lag + overlap]
    ex, ey = float(np.dot(xs, xs)), float(np.dot(ys, ys))
    if ex <= 0.0 or ey <= 0.0:
        return DelayEstimate(0.0, 0, float("-inf"), 0.0)
    peak = float(xcorr[lag])
    confidence = min(1.0, abs(peak) / np.sqrt(ex * ey))
    # Least-squares gain of the echo path at the peak lag.
    gain = abs(peak) / ex
    gain_db = 20.0 * np.log10(gain) if gain > 0 else float("-inf")
    return DelayEstimate(lag * 1000.0 / sample_rate, lag, float(gain_db), confidence)
