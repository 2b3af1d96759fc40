"""Energy voice-activity detection on fixed frames, with onset and hangover."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from voicepanel.core.audio.meters import energy_dbfs
from voicepanel.core.audio.ringbuffer import Samples


class VadEventKind(Enum):
    SPEECH_START = "speech_start"
    SPEECH_END = "speech_end"


@dataclass(frozen=True)
class VadEvent:
    kind: VadEventKind
    at: float
    """Start of the first voiced frame (start) or end of the last voiced frame (end)."""


@dataclass(frozen=True)
class VadConfig:
    threshold_dbfs: float = -40.0
    onset_frames: int = 2
    """Voiced frames in a row before speech starts: ignores clicks."""
    hangover_frames: int = 15
    """Silent frames in a row before speech ends (300 ms at 20 ms): bridges short pauses."""


class EnergyVad:
    """Feed frames with the time their first sample is heard; get start/end events.

    The end event is dated back to the end of the last voiced frame, so the hangover
    delays the report but not the measured instant.
    """

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self.speaking = False
        self._voiced_run = 0
        self._silent_run = 0
        self._run_start = 0.0
        self._last_voiced_end = 0.0

    @property
    def in_hangover(self) -> bool:
        """Speaking, but the latest frames were silent: speech may be ending."""
        return self.speaking and self._silent_run > 0

    def reset(self) -> None:
        self.speaking = False
        self._voiced_run = 0
        self._silent_run = 0

    def process(self, frame: Samples, at: float, duration: float) -> VadEvent | None:
        voiced = energy_dbfs(frame) >= self.config.threshold_dbfs
        if voiced:
            if self._voiced_run == 0:
                self._run_start = at
            self._voiced_run += 1
            self._silent_run = 0
            self._last_voiced_end = at + duration
            if not self.speaking and self._voiced_run >= self.config.onset_frames:
                self.speaking = True
                return VadEvent(VadEventKind.SPEECH_START, self._run_start)
            return None
        self._voiced_run = 0
        if self.speaking:
            self._silent_run += 1
            if self._silent_run >= self.config.hangover_frames:
                self.speaking = False
                self._silent_run = 0
                return VadEvent(VadEventKind.SPEECH_END, self._last_voiced_end)
        return None
