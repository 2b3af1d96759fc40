"""Preallocated single-producer/single-consumer sample ring for the PortAudio boundary.

The producer only advances ``_written`` and the consumer only advances ``_read``; each
side reads the other's counter but never writes it, so under the GIL no lock is needed
and the audio callback never waits on the asyncio side.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class RingBuffer:
    """A fixed-size mono float32 ring; overflow drops the newest samples and counts them."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf: Samples = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self._written = 0
        self._read = 0
        self.dropped = 0
        self.zero_filled = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def written(self) -> int:
        """Samples written since creation (the producer's position)."""
        return self._written

    @property
    def consumed(self) -> int:
        """Samples read or skipped since creation (the consumer's position)."""
        return self._read

    @property
    def available(self) -> int:
        return self._written - self._read

    @property
    def free(self) -> int:
        return self._capacity - (self._written - self._read)

    def write(self, data: npt.ArrayLike) -> int:
        """Producer side: copy ``data`` in; what does not fit is dropped (the consumer
        owns the read position, so the producer cannot make room by discarding old data)."""
        src = np.asarray(data, dtype=np.float32)
        count = len(src)
        n = min(count, self.free)
        start = self._written % self._capacity
        first = min(n, self._capacity - start)
        self._buf[start : start + first] = src[:first]
        if n > first:
            self._buf[: n - first] = src[first:n]
        self._written += n
        if n < count:
            self.dropped += count - n
        return n

    def write_zeros(self, count: int) -> int:
        """Producer side: ``count`` samples of silence, without an array to copy from."""
        n = min(count, self.free)
        start = self._written % self._capacity
        first = min(n, self._capacity - start)
        self._buf[start : start + first] = 0.0
        if n > first:
            self._buf[: n - first] = 0.0
        self._written += n
        if n < count:
            self.dropped += count - n
        return n

    def read_into(self, out: Samples) -> int:
        """Consumer side: fill ``out`` completely, zero-filling what is missing.

        Returns how many real samples were copied. Allocation-free, for the callback.
        """
        want = len(out)
        n = min(want, self._written - self._read)
        start = self._read % self._capacity
        first = min(n, self._capacity - start)
        out[:first] = self._buf[start : start + first]
        if n > first:
            out[first:n] = self._buf[: n - first]
        if n < want:
            out[n:] = 0.0
            self.zero_filled += want - n
        self._read += n
        return n

    def read(self, max_count: int | None = None) -> Samples:
        """Consumer side on the asyncio loop: take up to ``max_count`` samples (all by default)."""
        n = self.available if max_count is None else min(max_count, self.available)
        out = np.empty(n, dtype=np.float32)
        if n:
            self.read_into(out)
        return out

    def skip(self, count: int) -> int:
        """Consumer side: discard up to ``count`` of the oldest samples."""
        n = min(count, self.available)
        self._read += n
        return n
