"""Energy-based end-of-utterance detection for the sandbox's assistants.

Audio is cut into 20 ms frames; a frame is voiced when its RMS reaches a threshold. Speech
is confirmed after `min_speech_s` of voiced audio, and the utterance ends after `hangover_s`
of quiet. Time is counted in audio, not on the wall clock, so detection does not depend on
how the client paces or batches what it sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


@dataclass(frozen=True)
class VadConfig:
    frame_s: float = 0.02
    # RMS in int16 units: about -36 dBFS, well above a quiet room, well below a voice.
    threshold_rms: float = 500.0
    min_speech_s: float = 0.2
    hangover_s: float = 0.3
    max_utterance_s: float = 30.0


class VadEventKind(Enum):
    SPEECH_STARTED = "speech-started"
    UTTERANCE_ENDED = "utterance-ended"


@dataclass(frozen=True)
class VadEvent:
    kind: VadEventKind
    audio: bytes = b""  # the utterance, from its first to its last voiced frame
    duration_s: float = 0.0


class _State(Enum):
    QUIET = "quiet"
    CANDIDATE = "candidate"
    SPEAKING = "speaking"


class UtteranceDetector:
    """Feed PCM s16le mono of any chunk size; get speech-start and utterance-end events."""

    def __init__(self, sample_rate: int, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self.sample_rate = sample_rate
        self._frame_bytes = 2 * int(round(self.config.frame_s * sample_rate))
        self._min_speech_frames = max(1, round(self.config.min_speech_s / self.config.frame_s))
        self._hangover_frames = max(1, round(self.config.hangover_s / self.config.frame_s))
        self._max_frames = max(1, round(self.config.max_utterance_s / self.config.frame_s))
        self._pending = bytearray()
        self._state = _State.QUIET
        self._frames: list[bytes] = []
        self._voiced_end = 0  # frames up to and including the last voiced one
        self._quiet_run = 0

    @property
    def speaking(self) -> bool:
        return self._state is _State.SPEAKING

    def feed(self, pcm: bytes) -> list[VadEvent]:
        self._pending += pcm
        events: list[VadEvent] = []
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            event = self._step(frame)
            if event is not None:
                events.append(event)
        return events

    def reset(self) -> None:
        self._state = _State.QUIET
        self._frames = []
        self._voiced_end = 0
        self._quiet_run = 0

    def _step(self, frame: bytes) -> VadEvent | None:
        voiced = frame_rms(frame) >= self.config.threshold_rms
        if self._state is _State.QUIET:
            if voiced:
                self._state = _State.CANDIDATE
                self._frames = [frame]
                self._voiced_end = 1
                self._quiet_run = 0
            return None
        if len(self._frames) < self._max_frames:
            self._frames.append(frame)
        if voiced:
            self._quiet_run = 0
            self._voiced_end = len(self._frames)
        else:
            self._quiet_run += 1
        if self._state is _State.CANDIDATE:
            if self._voiced_end >= self._min_speech_frames:
                self._state = _State.SPEAKING
                return VadEvent(VadEventKind.SPEECH_STARTED)
            if self._quiet_run >= self._hangover_frames:
                self.reset()  # a click or a cough: too short to be an utterance
            return None
        if self._quiet_run >= self._hangover_frames:
            audio = b"".join(self._frames[: self._voiced_end])
            duration = len(audio) / 2 / self.sample_rate
            self.reset()
            return VadEvent(VadEventKind.UTTERANCE_ENDED, audio=audio, duration_s=duration)
        return None


def frame_rms(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples * samples)))
