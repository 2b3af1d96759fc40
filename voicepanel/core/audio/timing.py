"""When did sample N cross the PortAudio boundary? A preallocated log of (position, time).

The audio callback appends one stamp per block; the asyncio side looks up the time at
which a given stream position was delivered (capture) or played (playback). Used to
measure the delay the app itself adds, without allocating in the callback.
"""

from __future__ import annotations

import time

import numpy as np


class StampLog:
    """A ring of (stream position after the block, time.perf_counter()) pairs."""

    def __init__(self, size: int = 512) -> None:
        self._pos = np.zeros(size, dtype=np.int64)
        self._time = np.zeros(size, dtype=np.float64)
        self._size = size
        self._count = 0

    def mark(self, position: int, when: float | None = None) -> None:
        """Called from the callback after a block: ``position`` is the running sample count."""
        i = self._count % self._size
        self._pos[i] = position
        self._time[i] = time.perf_counter() if when is None else when
        self._count += 1

    @property
    def count(self) -> int:
        return self._count

    def time_of(self, position: int) -> float | None:
        """Time of the first block whose end reached ``position``, if still in the log."""
        n = min(self._count, self._size)
        if n == 0:
            return None
        last = self._count - 1
        # Snapshot in time order; the callback may append meanwhile, which only adds newer stamps.
        idx = (np.arange(last - n + 1, last + 1)) % self._size
        pos = self._pos[idx]
        times = self._time[idx]
        hit = np.searchsorted(pos, position, side="left")
        if hit >= len(pos) or (hit == 0 and pos[0] < position):
            return None
        return float(times[hit])

    def last(self) -> tuple[int, float] | None:
        if self._count == 0:
            return None
        i = (self._count - 1) % self._size
        return int(self._pos[i]), float(self._time[i])
