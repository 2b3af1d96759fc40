"""The device side of the engine at the room's rate: capture and playback streams with
their resamplers, the playout clock, and detection of a device that stopped."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.devices import AudioDevice, DeviceKind
from voicepanel.core.audio.resample import Resampler
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.streams import CaptureStream, PlaybackStream, Waker
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


STREAM_QUALITY = "LQ"
"""Streams are opened at the room's rate when the device takes it (a sound server such as
PulseAudio or PipeWire resamples, as for any app); otherwise at the device's own rate,
resampled here. soxr quality of those resamplers: soxr's HQ and MQ filters work in blocks:
fed 20 ms at a time they return nothing for one or two calls, then 40-50 ms at once, which
held a third of the microphone's frames for one more callback (+20 ms) and handed the
speaker ~50 ms bursts. LQ returns each block's worth per call (but nothing once in ~50
calls, 20 ms late for that frame); its price is a passband that ends earlier: -0.3 dB at
6 kHz and -13 dB at 7 kHz in a 16 kHz room (9 / 10 kHz in a 24 kHz one), alias rejection
still above 130 dB. WAV files keep HQ."""

SPEAKER_LEAD_FRAMES = 2.0
"""The speaker's ring is topped up to this many 20 ms frames each time its callback takes
one (the callback wakes the loop): right before a callback it holds the lead, right after
one frame less, so the lead less one frame is the slack for a late loop (or a late peer
frame, see ``LocalAgent``). 2 frames ran without a dry block, idle and with two busy loops,
on PulseAudio with latency='high'; 1 frame let late peer frames become underruns
(docs/benchmarks.md). 3 were used when the loop polled every 10 ms."""


class DeviceAudio:
    def __init__(
        self, room_rate: int, frame_ms: int = 20, lead_frames: float = SPEAKER_LEAD_FRAMES
    ) -> None:
        self.room_rate = room_rate
        self.frame_s = frame_ms / 1000.0
        self.lead_s = lead_frames * self.frame_s
        self.waker: Waker | None = None
        """Handed to the streams opened from now on: their callbacks wake the loop."""
        self.capture: CaptureStream | None = None
        self.playback: PlaybackStream | None = None
        self._in_resampler: Resampler | None = None
        self._out_resampler: Resampler | None = None
        self._clock_start: float | None = None
        self._clock_frames = 0

    # -- devices -----------------------------------------------------------------------

    def open_input(self, device: AudioDevice) -> None:
        self.close_input()
        stream = CaptureStream(device, rate=self.room_rate)
        stream.waker = self.waker
        stream.start()
        self.capture = stream
        self._in_resampler = Resampler(stream.rate, self.room_rate, STREAM_QUALITY)

    def open_output(self, device: AudioDevice) -> None:
        self.close_output()
        stream = PlaybackStream(device, rate=self.room_rate)
        stream.open()  # the rate it got decides how much the lead is in samples
        # Prime with the lead so the first callbacks do not start dry.
        stream.ring.write(np.zeros(int(stream.rate * self.lead_s), dtype=np.float32))
        stream.waker = self.waker
        stream.start()
        self.playback = stream
        self._out_resampler = Resampler(self.room_rate, stream.rate, STREAM_QUALITY)

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
            # A resampler's output wanders by a few samples per frame: a quarter frame short
            # of the lead is near enough (rounding up would add a whole frame of delay).
            return max(0, int(np.ceil(missing / self.frame_s - 0.25)))
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
