"""The device side of the engine at the room's rate: the capture stream and its
resampler, the playback stream fed by the room's mix, the wall clock that paces the mix
when there is no speaker, and detection of a device that stopped. Streams are opened and
closed through ``PortAudioOwner`` (off the audio loop); everything else here runs on the
audio loop, except the playback source, which runs in the speaker's callback."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.devices import AudioDevice, DeviceKind
from voicepanel.core.audio.portaudio_owner import PortAudioOwner, portaudio
from voicepanel.core.audio.resample import Resampler
from voicepanel.core.audio.ringbuffer import RingBuffer, Samples
from voicepanel.core.audio.streams import BlockSource, CaptureStream, PlaybackStream, Waker
from voicepanel.core.errors import VoicePanelError

STALL_SECONDS = 1.5
"""A stream whose callback has not run this long is treated as gone (unplugged, or the
sound server went away): PortAudio does not always report it."""
FIRST_CALLBACK_GRACE_S = 4.0
"""Until it has run steadily a stream gets longer: a sound server that was idle may call
back a few times, then not for 1.5-2 s, before it settles (seen on PulseAudio)."""
STEADY_CALLBACKS = 50
"""One second of 20 ms blocks: from then on the stream is held to ``STALL_SECONDS``."""


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
fed 20 ms at a time they return nothing for one or two calls, then 40-50 ms at once. LQ
returns each block's worth per call (but nothing once in ~50 calls); its price is a
passband that ends earlier: -0.3 dB at 6 kHz and -13 dB at 7 kHz in a 16 kHz room
(9 / 10 kHz in a 24 kHz one), alias rejection still above 130 dB. WAV files keep HQ."""


@dataclass(frozen=True)
class Stall:
    """A stream that stopped calling back: unplugged, taken, or the sound server stalled."""

    kind: DeviceKind
    device: AudioDevice
    silent_s: float

    def lost(self) -> VoicePanelError:
        """Reopening it failed too."""
        return VoicePanelError(
            f"The {self.kind.noun} '{self.device.name}' stopped working.",
            "It may have been unplugged or taken by another program. You are "
            f"still in the room; choose a {self.kind.noun} again to resume.",
        )

    def reopened(self) -> DeviceReopened:
        return DeviceReopened(
            f"The {self.kind.noun} '{self.device.name}' stopped for {self.silent_s:.1f} s "
            "and was reopened.",
            "The sound is back. If it happens again, the computer may be too busy: close "
            "programs you do not need, or use another device.",
        )


class DeviceReopened(VoicePanelError):
    """Not a failure left standing: a stalled device was reopened and plays again."""


class ResampledSource:
    """The room's mix for a speaker that refused the room's rate: room frames are mixed
    and resampled until one device block is ready (in the callback, like the mix)."""

    MAX_FRAMES_PER_BLOCK = 8

    def __init__(self, mix: BlockSource, room_rate: int, device_rate: int, frame: int) -> None:
        self._mix = mix
        self._resampler = Resampler(room_rate, device_rate, STREAM_QUALITY)
        self._ring = RingBuffer(device_rate)
        self._frame: Samples = np.zeros(frame, dtype=np.float32)

    def __call__(self, out: Samples, now: float) -> None:
        for _ in range(self.MAX_FRAMES_PER_BLOCK):
            if self._ring.available >= len(out):
                break
            self._mix(self._frame, now)
            self._ring.write(self._resampler.process(self._frame))
        self._ring.read_into(out)


class DeviceAudio:
    def __init__(
        self,
        room_rate: int,
        mix: BlockSource,
        frame_ms: int = 20,
        owner: PortAudioOwner | None = None,
    ) -> None:
        self.room_rate = room_rate
        self.frame_s = frame_ms / 1000.0
        self.frame_size = room_rate * frame_ms // 1000
        self._mix = mix
        self._owner = owner or portaudio()
        self.waker: Waker | None = None
        """Handed to the streams opened from now on: their callbacks wake the loop."""
        self.capture: CaptureStream | None = None
        self.playback: PlaybackStream | None = None
        self._in_resampler: Resampler | None = None
        self._clock_start: float | None = None
        self._clock_frames = 0

    # -- devices -----------------------------------------------------------------------

    async def open_input(self, device: AudioDevice) -> None:
        await self.close_input()
        stream = CaptureStream(device, rate=self.room_rate)
        stream.waker = self.waker
        await self._owner.start(stream)
        self.capture = stream
        self._in_resampler = Resampler(stream.rate, self.room_rate, STREAM_QUALITY)

    async def open_output(self, device: AudioDevice) -> None:
        """From now on the speaker's callback drives the mix (the clock stops)."""
        await self.close_output()
        stream = PlaybackStream(device, self._silence, rate=self.room_rate)
        # No waker: the speaker's callback mixes by itself; what it played is handed on
        # when the microphone's block (or the timer) wakes the loop.
        await self._owner.start(stream)
        # The rate it got decides whether the mix is resampled; until then it plays silence.
        if stream.rate == self.room_rate:
            stream.source = self._mix
        else:
            stream.source = ResampledSource(self._mix, self.room_rate, stream.rate, self.frame_size)
        self.playback = stream

    async def close_input(self) -> None:
        stream, self.capture = self.capture, None
        self._in_resampler = None
        if stream is not None:
            await self._owner.close(stream)

    async def close_output(self) -> None:
        stream, self.playback = self.playback, None
        self._clock_start = None
        if stream is not None:
            await self._owner.close(stream)

    async def close(self) -> None:
        await self.close_input()
        await self.close_output()

    def stalled(self) -> list[Stall]:
        """Streams that stopped calling back (closing them is the caller's)."""
        lost: list[Stall] = []
        for kind, stream in ((DeviceKind.INPUT, self.capture), (DeviceKind.OUTPUT, self.playback)):
            if stream is None:
                continue
            limit = (
                STALL_SECONDS if stream.callbacks >= STEADY_CALLBACKS else FIRST_CALLBACK_GRACE_S
            )
            silent_s = stream.silent_for()
            if stream.active and silent_s < limit:
                continue
            lost.append(Stall(kind, stream.device, silent_s))
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

    def clock_frames_due(self, now: float | None = None) -> int:
        """With no speaker, how many room frames the loop mixes now: one per frame period
        of wall-clock time, so the room is still followed (meters, recording, latency)."""
        if self.playback is not None:
            return 0
        now = time.perf_counter() if now is None else now
        if self._clock_start is None:
            self._clock_start = now
            self._clock_frames = 0
        due = int((now - self._clock_start) / self.frame_s) + 1 - self._clock_frames
        if due > 25:
            # After a stall (a suspended laptop) do not burst-play a backlog.
            self._clock_start = now
            self._clock_frames = 0
            due = 1
        self._clock_frames += max(0, due)
        return max(0, due)

    def output_latency_s(self) -> float:
        """From the speaker's callback until its block is heard (0 with no speaker)."""
        stream = self.playback
        return stream.latency_s if stream is not None else 0.0

    @staticmethod
    def _silence(out: Samples, _now: float) -> None:
        out.fill(0.0)
