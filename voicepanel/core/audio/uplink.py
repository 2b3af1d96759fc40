"""The local side before it goes to the room: microphone or WAV file, a filter on the
microphone (echo cancellation), input gain, mute, push-to-talk, the input meter, and
cutting into 20 ms frames with the time each was said."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.device_io import Captured
from voicepanel.core.audio.meters import LevelMeter
from voicepanel.core.audio.pcm import Framer
from voicepanel.core.audio.ringbuffer import Samples


@dataclass
class InputControls:
    gain: float = 1.0
    muted: bool = False
    push_to_talk: bool = False
    talk_held: bool = False
    """Push-to-talk key is down."""

    @property
    def transmitting(self) -> bool:
        return not self.muted and (not self.push_to_talk or self.talk_held)


@dataclass(frozen=True)
class OutgoingFrame:
    samples: Samples
    """What goes to the room (silence when muted or push-to-talk is up)."""
    at: float
    """When its first sample was said (perf_counter clock)."""
    live: bool
    """False when the frame is silence because of mute or push-to-talk: not sent."""


class FileSource:
    """A WAV played as the microphone, once or looped, paced by the caller's clock."""

    def __init__(self, samples: Samples, frame_size: int, loop: bool = False) -> None:
        pad = (-len(samples)) % frame_size
        self._samples = np.concatenate([samples, np.zeros(pad, dtype=np.float32)])
        self._frame_size = frame_size
        self.loop = loop
        self.position = 0

    @property
    def finished(self) -> bool:
        return not self.loop and self.position >= len(self._samples)

    def next_frame(self) -> Samples | None:
        if self.position >= len(self._samples):
            if not self.loop or not len(self._samples):
                return None
            self.position = 0
        frame = self._samples[self.position : self.position + self._frame_size]
        self.position += self._frame_size
        return frame


class Uplink:
    def __init__(self, rate: int, frame_size: int) -> None:
        self.rate = rate
        self.frame_size = frame_size
        self.frame_s = frame_size / rate
        self.controls = InputControls()
        self.meter = LevelMeter()
        self.file: FileSource | None = None
        self._framer = Framer(frame_size)
        self._file_clock: float | None = None
        self._file_frames = 0
        self._last_end: float | None = None
        self.microphone_filter: Callable[[Samples], Samples] | None = None
        """Applied to the microphone's new samples before anything else: framing, gain,
        mute, the meter (echo cancellation plugs in here). It sees every captured sample,
        also while a file stands in for the microphone, and may hold some back to make
        whole frames of its own: ``filter_held`` says how many."""
        self.filter_held: Callable[[], int] = _nothing_held

    @property
    def pending(self) -> int:
        """Microphone samples held back until the next whole frame (the filter's too)."""
        return self._framer.pending + self.filter_held()

    def play_file(self, samples: Samples, loop: bool) -> None:
        self.file = FileSource(samples, self.frame_size, loop)
        self._file_clock = None

    def stop_file(self) -> None:
        self.file = None

    def pull(self, captured: Captured | None, now: float) -> list[OutgoingFrame]:
        """This tick's frames: the microphone's, or the file's while one plays, or, with
        neither, silence on the wall clock so the local side's timeline keeps moving (the
        latency meter needs the silence after the last utterance)."""
        frames = self.from_microphone(captured) + self.from_file(now)
        if not frames and captured is None:
            frames = self._filler(now)
        if frames:
            self._last_end = frames[-1].at + self.frame_s
        return frames

    def _filler(self, now: float) -> list[OutgoingFrame]:
        if self._last_end is None:
            self._last_end = now
        due = int((now - self._last_end) / self.frame_s)
        silence = np.zeros(self.frame_size, dtype=np.float32)
        return [
            OutgoingFrame(silence, self._last_end + i * self.frame_s, False)
            for i in range(max(0, min(due, 25)))
        ]

    def from_microphone(self, captured: Captured | None) -> list[OutgoingFrame]:
        """Whole frames of new microphone audio; none while a file stands in for it."""
        if captured is None:
            return []
        samples = captured.samples
        if self.microphone_filter is not None:
            # Before the file check: an echo canceller must follow the microphone without
            # gaps, in step with the speaker, or it would have to learn the room again.
            samples = self.microphone_filter(samples)
        frames = self._framer.push(samples)
        if self.file is not None:
            return []
        # The newest sample held (the framer's and the filter's pending tails included)
        # was said at end_time.
        last_end = captured.end_time - self.pending / self.rate
        count = len(frames)
        return [
            self._finish(frame, last_end - (count - i) * self.frame_s)
            for i, frame in enumerate(frames)
        ]

    def from_file(self, now: float) -> list[OutgoingFrame]:
        """The file frames due by ``now``, so the file is sent at the pace it would be said."""
        source = self.file
        if source is None:
            return []
        if self._file_clock is None:
            # Continue the local timeline where it stands so the file's first frame is
            # not dated before the silence already reported.
            start = now if self._last_end is None else max(self._last_end, now - self.frame_s)
            self._file_clock = start
            self._file_frames = 0
        due = int((now - self._file_clock) / self.frame_s) + 1 - self._file_frames
        out: list[OutgoingFrame] = []
        for _ in range(max(0, min(due, 25))):
            frame = source.next_frame()
            if frame is None:
                self.file = None
                break
            out.append(self._finish(frame, self._file_clock + self._file_frames * self.frame_s))
            self._file_frames += 1
            if source.finished:
                self.file = None
                break
        return out

    def _finish(self, frame: Samples, at: float) -> OutgoingFrame:
        controls = self.controls
        if controls.gain != 1.0:
            frame = np.clip(frame * np.float32(controls.gain), -1.0, 1.0).astype(np.float32)
        self.meter.update(frame)
        if controls.transmitting:
            return OutgoingFrame(frame, at, True)
        return OutgoingFrame(np.zeros_like(frame), at, False)


def _nothing_held() -> int:
    return 0
