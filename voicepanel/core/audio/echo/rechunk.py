"""Re-cutting audio into fixed-size frames: device blocks or 20 ms room frames in, the
10 ms frames WebRTC's audio processing insists on out (and back again)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt


class FrameRechunker:
    """FIFO of samples that hands out whole frames of ``frame_samples`` (per channel).

    Runs on the asyncio side; the storage is preallocated and only grows when a caller
    pushes more than it holds, so steady streaming does not allocate per block.
    """

    def __init__(
        self,
        frame_samples: int,
        channels: int = 1,
        dtype: npt.DTypeLike = np.float32,
        capacity_frames: int = 8,
    ) -> None:
        if frame_samples <= 0 or channels <= 0:
            raise ValueError("frame_samples and channels must be positive")
        self.frame_samples = frame_samples
        self.channels = channels
        self.dtype = np.dtype(dtype)
        self._buf = np.zeros((frame_samples * max(2, capacity_frames), channels), self.dtype)
        self._fill = 0

    @classmethod
    def for_duration(
        cls, sample_rate: int, frame_ms: int, channels: int = 1, dtype: npt.DTypeLike = np.float32
    ) -> FrameRechunker:
        return cls(sample_rate * frame_ms // 1000, channels, dtype)

    @property
    def pending(self) -> int:
        """Samples (per channel) waiting for the next whole frame."""
        return self._fill

    def push(self, block: npt.NDArray[np.generic]) -> None:
        data = np.asarray(block).reshape(-1, self.channels)
        need = self._fill + len(data)
        if need > len(self._buf):
            grown = np.zeros((max(need, 2 * len(self._buf)), self.channels), self.dtype)
            grown[: self._fill] = self._buf[: self._fill]
            self._buf = grown
        self._buf[self._fill : need] = data
        self._fill = need

    def pop(self) -> npt.NDArray[np.generic] | None:
        """The oldest whole frame (1-D for mono, (n, channels) otherwise), or None."""
        n = self.frame_samples
        if self._fill < n:
            return None
        frame = self._buf[:n].copy()
        self._buf[: self._fill - n] = self._buf[n : self._fill]
        self._fill -= n
        return frame[:, 0] if self.channels == 1 else frame

    def frames(self) -> Iterator[npt.NDArray[np.generic]]:
        """Every whole frame now available, oldest first."""
        while (frame := self.pop()) is not None:
            yield frame

    def clear(self) -> None:
        self._fill = 0
