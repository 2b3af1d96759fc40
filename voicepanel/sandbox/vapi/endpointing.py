"""End-of-turn detection for the sandbox's assistants, on the wall clock.

Audio is cut into 20 ms frames; a frame is voiced when its RMS reaches a threshold. Speech
starts after `min_speech_s` of voiced audio; the turn ends after `end_of_turn_s` of quiet.

Quiet is counted on a stream clock that follows the wall clock: each frame is placed at
the later of its arrival and the end of the frame before it, and time in which no audio
arrives counts as silence. So a client that paces its audio, one that sends a file in one
burst, and one that sends an utterance and then nothing all get an answer the same
quiet time after their last voiced frame. `poll(now)` ends a turn when only the clock has
moved; `deadline()` says when to poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

FRAME_S = 0.02


@dataclass(frozen=True)
class EndpointingConfig:
    # RMS in int16 units: about -36 dBFS, well above a quiet room, well below a voice.
    threshold_rms: float = 500.0
    min_speech_s: float = 0.2  # VAPI's stopSpeakingPlan.voiceSeconds default
    end_of_turn_s: float = 1.5
    # A voiced blip shorter than min_speech_s is forgotten after this much quiet.
    blip_quiet_s: float = 0.3
    max_utterance_s: float = 30.0


class VadEventKind(Enum):
    SPEECH_STARTED = "speech-started"
    UTTERANCE_ENDED = "utterance-ended"


@dataclass(frozen=True)
class VadEvent:
    kind: VadEventKind
    audio: bytes = b""  # the utterance, first to last voiced frame, pauses included
    duration_s: float = 0.0
    ended_at: float = 0.0  # stream-clock time of the end of the last voiced frame


class _State(Enum):
    QUIET = "quiet"
    CANDIDATE = "candidate"
    SPEAKING = "speaking"


class UtteranceDetector:
    """Feed PCM s16le mono of any chunk size with the loop time it arrived at."""

    def __init__(self, sample_rate: int, config: EndpointingConfig | None = None) -> None:
        self.config = config or EndpointingConfig()
        self.sample_rate = sample_rate
        self._frame_bytes = 2 * int(round(FRAME_S * sample_rate))
        self._max_frames = max(1, round(self.config.max_utterance_s / FRAME_S))
        self._pending = bytearray()
        self._stream_end = float("-inf")
        self._state = _State.QUIET
        self._frames: list[bytes] = []
        self._voiced_frames = 0  # frames up to and including the last voiced one
        self._first_voiced_at = 0.0
        self._voiced_until = 0.0

    @property
    def speaking(self) -> bool:
        return self._state is _State.SPEAKING

    def feed(self, pcm: bytes, now: float) -> list[VadEvent]:
        events = self.poll(now)
        if self._stream_end < now:
            self._fill_gap(now)
        self._pending += pcm
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            event = self._step(frame)
            if event is not None:
                events.append(event)
        return events

    def poll(self, now: float) -> list[VadEvent]:
        """End the turn if the clock alone has run out its quiet time."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        if self._state is _State.CANDIDATE:
            self.reset()
            return []
        return [self._end()]

    def deadline(self) -> float | None:
        """The loop time at which quiet ends what is under way, if nothing more arrives."""
        if self._state is _State.QUIET:
            return None
        if self._state is _State.CANDIDATE:
            return self._voiced_until + self.config.blip_quiet_s
        return self._voiced_until + self.config.end_of_turn_s

    def reset(self) -> None:
        self._state = _State.QUIET
        self._frames = []
        self._voiced_frames = 0

    def _fill_gap(self, now: float) -> None:
        """Time with no audio is silence: inside an utterance it becomes quiet frames."""
        if self._state is not _State.QUIET and self._stream_end > float("-inf"):
            missing = int((now - self._stream_end) / FRAME_S)
            room = self._max_frames - len(self._frames)
            self._frames.extend([bytes(self._frame_bytes)] * max(0, min(missing, room)))
        self._stream_end = now

    def _step(self, frame: bytes) -> VadEvent | None:
        start = self._stream_end
        self._stream_end = end = start + FRAME_S
        voiced = frame_rms(frame) >= self.config.threshold_rms
        if self._state is _State.QUIET:
            if voiced:
                self._state = _State.CANDIDATE
                self._frames = [frame]
                self._voiced_frames = 1
                self._first_voiced_at = start
                self._voiced_until = end
            return None
        if len(self._frames) < self._max_frames:
            self._frames.append(frame)
        if voiced:
            self._voiced_frames = len(self._frames)
            self._voiced_until = end
        quiet_s = end - self._voiced_until
        if self._state is _State.CANDIDATE:
            if self._voiced_until - self._first_voiced_at >= self.config.min_speech_s - 1e-9:
                self._state = _State.SPEAKING
                return VadEvent(VadEventKind.SPEECH_STARTED)
            if quiet_s >= self.config.blip_quiet_s - 1e-9:
                self.reset()  # a click or a cough: too short to be an utterance
            return None
        if quiet_s >= self.config.end_of_turn_s - 1e-9:
            return self._end()
        return None

    def _end(self) -> VadEvent:
        audio = b"".join(self._frames[: self._voiced_frames])
        duration = len(audio) / 2 / self.sample_rate
        ended_at = self._voiced_until
        self.reset()
        return VadEvent(VadEventKind.UTTERANCE_ENDED, audio, duration, ended_at)


def frame_rms(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples * samples)))
