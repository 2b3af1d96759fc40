"""PCM16 conversions the router needs: stereo to mono, rate conversion in exact 20 ms frames, level.

soxr's "LQ" quality is used on purpose: its stream output is steady chunk to chunk (the
higher qualities release audio in bursts of two or four chunks, which would show up as
jitter in the paced output) and its ~10 ms delay is small next to a voice turn.
"""

from __future__ import annotations

import math

import numpy as np
import soxr

FRAME_S = 0.02
SAMPLE_BYTES = 2


def frame_bytes(sample_rate: int) -> int:
    """Bytes in one 20 ms mono PCM16 frame at `sample_rate`."""
    return int(sample_rate * FRAME_S) * SAMPLE_BYTES


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Average interleaved channels into one; `pcm` holds whole sample frames."""
    if channels == 1:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).astype(np.int32)
    return samples.mean(axis=1).astype("<i2").tobytes()


def rms(pcm: bytes) -> float:
    """Root mean square of mono PCM16, in sample units (0..32768)."""
    count = len(pcm) // SAMPLE_BYTES
    if count == 0:
        return 0.0
    samples = np.frombuffer(pcm, dtype="<i2", count=count).astype(np.float32)
    # One dot product: a third of the time of mean(samples * samples), per frame.
    return math.sqrt(float(samples.dot(samples)) / count)


class RateConverter:
    """Converts a mono PCM16 stream from one rate to another, released in exact 20 ms frames.

    At equal rates frames pass through untouched (a short last frame stays short).
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._stream = (
            None
            if in_rate == out_rate
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality="LQ")
        )
        self._pending = bytearray()
        self._frame = frame_bytes(out_rate)

    def feed(self, pcm: bytes) -> list[bytes]:
        if self._stream is None:
            return [pcm] if pcm else []
        out = self._stream.resample_chunk(np.frombuffer(pcm, dtype=np.int16))
        self._pending += out.astype("<i2").tobytes()
        frames = []
        while len(self._pending) >= self._frame:
            frames.append(bytes(self._pending[: self._frame]))
            del self._pending[: self._frame]
        return frames

    def reset(self) -> None:
        """Forget buffered audio, after an interrupt."""
        self._pending.clear()
        if self._stream is not None:
            self._stream.clear()
