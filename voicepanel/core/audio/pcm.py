"""PCM16 conversion and fixed-size framing (20 ms chunks on the wire)."""

from __future__ import annotations

import numpy as np

from voicepanel.core.audio.ringbuffer import Samples

FRAME_MS = 20


def frame_samples(rate: int, frame_ms: int = FRAME_MS) -> int:
    return rate * frame_ms // 1000


def to_pcm16(samples: Samples) -> bytes:
    """float32 in [-1, 1] -> little-endian int16 bytes (clipped, rounded)."""
    clipped = np.clip(samples, -1.0, 1.0) * 32767.0
    return np.rint(clipped).astype("<i2").tobytes()


def from_pcm16(data: bytes) -> Samples:
    """Little-endian int16 bytes -> float32 in [-1, 1). A trailing odd byte is ignored."""
    usable = len(data) - (len(data) % 2)
    ints = np.frombuffer(data[:usable], dtype="<i2")
    return (ints.astype(np.float32) / 32768.0).astype(np.float32)


class Framer:
    """Accumulates arbitrary-length sample runs and hands out whole frames."""

    def __init__(self, frame_size: int) -> None:
        self.frame_size = frame_size
        self._pending: Samples = np.zeros(0, dtype=np.float32)

    @property
    def pending(self) -> int:
        """Samples waiting for the next whole frame."""
        return len(self._pending)

    def push(self, samples: Samples) -> list[Samples]:
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        whole = len(data) // self.frame_size
        frames = [
            data[i * self.frame_size : (i + 1) * self.frame_size].copy() for i in range(whole)
        ]
        self._pending = data[whole * self.frame_size :].copy()
        return frames

    def flush(self) -> Samples | None:
        """The last partial frame padded with silence, or None when nothing is pending."""
        if not len(self._pending):
            return None
        frame = np.zeros(self.frame_size, dtype=np.float32)
        frame[: len(self._pending)] = self._pending
        self._pending = np.zeros(0, dtype=np.float32)
        return frame

    def clear(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
