"""Frame energy and level in dBFS for the echo parts, for int16 or float frames alike."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.meters import FLOOR_DBFS

INT16_FULL_SCALE = 32768.0


def as_float(frame: npt.NDArray[np.generic]) -> npt.NDArray[np.float64]:
    """Samples scaled to full scale 1.0, whatever the frame's dtype."""
    x = np.asarray(frame, dtype=np.float64)
    if np.issubdtype(frame.dtype, np.integer):
        x = x / INT16_FULL_SCALE
    return x


def mean_square(frame: npt.NDArray[np.generic]) -> float:
    """Mean energy per sample (full scale 1.0); 0.0 for an empty frame."""
    if frame.size == 0:
        return 0.0
    if frame.dtype.kind == "f":
        # The agent's frames: no float64 copy (per frame, three times, in the ERLE meter).
        x = frame.ravel()
        return float(np.dot(x, x)) / x.size
    x = as_float(frame).ravel()
    return float(np.dot(x, x)) / x.size


def energy_dbfs(mean_sq: float) -> float:
    """A mean square in dBFS (RMS level), floored like the level meters."""
    if mean_sq <= 0.0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 10.0 * float(np.log10(mean_sq)))


def rms_dbfs(frame: npt.NDArray[np.generic]) -> float:
    return energy_dbfs(mean_square(frame))
