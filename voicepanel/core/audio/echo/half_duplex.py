"""Half-duplex fallback: while the far end is playing, the microphone is muted or ducked,
so whatever the speakers put into it never reaches the room; a near-end voice loud
enough to be more than echo (barge-in) opens it again.

Time is counted in samples of the streams themselves (far and near run at one rate), so
the gate behaves the same under test as live and needs no wall clock.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.echo.levels import rms_dbfs


class GateMode(Enum):
    MUTE = "mute"
    """Silence the microphone while held back."""
    DUCK = "duck"
    """Lower it by ``duck_db``: quieter echo, and the room still hears that someone is there."""


class HalfDuplexGate:
    """Holds the microphone back while the far end is active.

    ``threshold_db``: far-end level (dBFS RMS) above which the far end counts as active.
    ``barge_in_db``: near-end level that passes anyway; set it above the loudest echo the
    speakers make in the microphone (the ERLE meter's ``echo_coupling_db`` plus the far
    level is a good guide). ``hold_ms``: how long both decisions outlast the signal that
    caused them, which also covers the echo's delay and the room's tail.
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        threshold_db: float = -45.0,
        barge_in_db: float = -20.0,
        hold_ms: float = 300.0,
        mode: GateMode = GateMode.DUCK,
        duck_db: float = -30.0,
        ramp_ms: float = 5.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.threshold_db = threshold_db
        self.barge_in_db = barge_in_db
        self.hold_samples = int(sample_rate * hold_ms / 1000.0)
        self.mode = mode
        self.duck_db = duck_db
        self.ramp_samples = max(1, int(sample_rate * ramp_ms / 1000.0))
        self._far_left = 0
        self._barge_left = 0
        self._gain = 1.0
        self.far_active = False
        self.barging_in = False

    @property
    def held_back(self) -> bool:
        """The microphone is being muted or ducked right now (for the panel's indicator)."""
        return self.far_active and not self.barging_in

    @property
    def held_gain(self) -> float:
        return 0.0 if self.mode is GateMode.MUTE else float(10.0 ** (self.duck_db / 20.0))

    def observe_far(self, frame: npt.NDArray[np.generic]) -> None:
        """Feed each far-end frame as it is handed to the speakers."""
        if rms_dbfs(frame) > self.threshold_db:
            self._far_left = self.hold_samples + len(frame)

    def process_near(self, frame: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        """The microphone frame, gated; same dtype and shape."""
        n = len(frame)
        if rms_dbfs(frame) > self.barge_in_db:
            self._barge_left = self.hold_samples + n
        self.far_active = self._far_left > 0
        self.barging_in = self.far_active and self._barge_left > 0
        self._far_left = max(0, self._far_left - n)
        self._barge_left = max(0, self._barge_left - n)

        target = self.held_gain if self.held_back else 1.0
        if target == self._gain == 1.0:
            return frame
        ramp = np.full(n, target, dtype=np.float64)
        steps = min(n, self.ramp_samples)
        # A short linear ramp, so opening and closing the gate does not click.
        ramp[:steps] = np.linspace(self._gain, target, steps + 1)[1:]
        self._gain = target
        gains = ramp if frame.ndim == 1 else ramp[:, None]
        out = frame.astype(np.float64) * gains
        if np.issubdtype(frame.dtype, np.integer):
            return np.rint(out).astype(frame.dtype)
        return out.astype(frame.dtype)
