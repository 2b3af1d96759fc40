"""The device side of the engine at the room's rate: capture and playback streams with
their resamplers, the playout clock, and detection of a device that stopped."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.devices import AudioDevice, DeviceKind
from voicepanel.core.audio.resample import Resampler
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.streams import CaptureStream, PlaybackStream
from voicepanel.core.errors import VoicePanelError

STALL_SECONDS = 1.5
"""A stream whose callback has not run this long is treated as gone (unplugged, or the
sound server went away): PortAudio does not always report it."""
FIRST_CALLBACK_GRACE_S = 4.0
"""Before its first callback a stream gets longer: an idle sound server may take ~2 s."""


@dataclass(frozen=True)
class Captured:
    samples: Samples
    """New microphone audio at the room's rate."""
    end_time: float
    """When the last of these samples was at the microphone (perf_counter clock)."""
    end_position: int = 0
    """The capture ring's position after them, in device samples (for the timing probe)."""
    device_rate: int = 0


class DeviceAudio:
    def __init__(self, room_rate: int, frame_ms: int = 20, lead_frames: int = 3) -> None:
        self.room_rate = room_rate
        self.frame_s = frame_ms / 1000.0
        self.lead_s = lead_frames * self.frame_s
        self.capture: CaptureStream | None = None
        self.playback: PlaybackStream | None = None
        self._in_resampler: Resampler | None = None
        self._out_resampler: Resampler | None = None
        self._clock_start: float | None = None
        self._clock_frames = 0

    # -- devices -----------------------------------------------------------------------

    def open_input(self, device: AudioDevice) -> None:
        self.close_input()
        stream = CaptureStream(device)
        stream.start()
        self.capture = stream
        self._in_resampler = Resampler(stream.rate, self.room_rate)

    def open_output(self, device: AudioDevice) -> None:
        self.close_output()
        stream = PlaybackStream(device)
        # Prime with the lead so the first callbacks do not start dry.
        stream.ring.write(np.zeros(int(stream.rate * self.lead_s), dtype=np.float32))
        stream.start()
        self.playback = stream
        self._out_resampler = Resampler(self.room_rate, stream.rate)

    def close_input(self) -> None:
        if self.capture is not None:
            self.capture.close()
        self.capture = None
        self._in_resampler = None

    def close_output(self) -> None:
        if self.playback is not None:
            self.playback.close()
        self.playback = None
        self._out_resampler = None
        self._clock_start = None

    def close(self) -> None:
        self.close_input()
        self.close_output()

    def check(self) -> list[tuple[DeviceKind, VoicePanelError]]:
        """Close streams that stopped calling back; say which and why."""
        lost: list[tuple[DeviceKind, VoicePanelError]] = []
        for kind, stream in ((DeviceKind.INPUT, self.capture), (DeviceKind.OUTPUT, self.playback)):
            if stream is None:
                continue
            limit = STALL_SECONDS if stream.callbacks else FIRST_CALLBACK_GRACE_S
            if stream.active and stream.silent_for() < limit:
                continue
            what = "microphone" if kind is DeviceKind.INPUT else "speaker"
            lost.append(
                (
                    kind,
                    VoicePanelError(
                        f"The {what} '{stream.device.name}' stopped working.",
                        "It may have been unplugged or taken by another program. You are "
                        f"still in the room; choose a {what} again to resume.",
                    ),
                )
            )
            if kind is DeviceKind.INPUT:
                self.close_input()
            else:
                self.close_output()
        return lost

    # -- capture -----------------------------------------------------------------------

    def read_input(self) -> Captured | None:
        stream, resampler = self.capture, self._in_resampler
        if stream is None or resampler is None:
            return None
        now = time.perf_counter()
        raw = stream.ring.read()
        out = resampler.process(raw)
        # What is still in PortAudio's input buffer has not reached us yet: the newest
        # sample we hold was at the microphone about one input latency ago.
        end_time = now - stream.latency_s
        return Captured(out, end_time, stream.ring.consumed, stream.rate)

    # -- playback ----------------------------------------------------------------------

    def frames_due(self, now: float | None = None) -> int:
        """How many room frames to mix now: enough to keep the speaker's lead, or, with no
        speaker, one per frame period of wall-clock time so the room is still followed."""
        stream = self.playback
        if stream is not None:
            queued_s = stream.ring.available / stream.rate
            missing = self.lead_s - queued_s
            return max(0, int(np.ceil(missing / self.frame_s - 1e-9)))
        now = time.perf_counter() if now is None else now
        if self._clock_start is None:
            self._clock_start = now
            self._clock_frames = 0
        due = int((now - self._clock_start) / self.frame_s) + 1 - self._clock_frames
        if due > 25:
            # After a stall (a busy loop, a suspended laptop) do not burst-play a backlog.
            self._clock_start = now
            self._clock_frames = 0
            due = 1
        self._clock_frames += max(0, due)
        return max(0, due)

    def write_output(self, samples: Samples) -> None:
        stream, resampler = self.playback, self._out_resampler
        if stream is None or resampler is None:
            return
        stream.ring.write(resampler.process(samples))

    def output_queued_s(self) -> float:
        """Audio already waiting in the speaker's ring (0 with no speaker)."""
        stream = self.playback
        return stream.ring.available / stream.rate if stream is not None else 0.0

    def output_delay_s(self) -> float:
        """From now until a sample written now is heard at the speaker."""
        stream = self.playback
        if stream is None:
            return 0.0
        return stream.ring.available / stream.rate + stream.latency_s
