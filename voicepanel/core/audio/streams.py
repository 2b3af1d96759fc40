"""PortAudio streams at the device's own rate. Their callbacks only copy between the
device buffer and a preallocated ring, and stamp the time: nothing else runs there."""

from __future__ import annotations

import time
from typing import Any

from voicepanel.core.audio.devices import AudioDevice, DeviceKind, load_sounddevice
from voicepanel.core.audio.ringbuffer import RingBuffer
from voicepanel.core.audio.timing import StampLog
from voicepanel.core.errors import VoicePanelError

BLOCK_MS = 20
RING_SECONDS = 2.0


def block_size(rate: int, block_ms: int = BLOCK_MS) -> int:
    return rate * block_ms // 1000


class _DeviceStream:
    kind: DeviceKind

    def __init__(self, device: AudioDevice, block_ms: int = BLOCK_MS) -> None:
        self.device = device
        self.rate = device.default_rate
        self.blocksize = block_size(self.rate, block_ms)
        self.ring = RingBuffer(int(self.rate * RING_SECONDS))
        self.stamps = StampLog()
        self.xruns = 0
        self.callbacks = 0
        self.last_callback = 0.0
        self.latency_s = 0.0
        self._stream: Any = None

    @property
    def active(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    def start(self) -> None:
        sd = load_sounddevice()
        channels = self._channels()
        try:
            self._stream = self._open(sd, channels)
        except sd.PortAudioError as first:
            max_channels = (
                self.device.input_channels
                if self.kind is DeviceKind.INPUT
                else self.device.output_channels
            )
            if channels == 1 and max_channels >= 2:
                # Some hardware devices refuse mono: open in stereo and use channel one.
                try:
                    self._stream = self._open(sd, 2)
                except sd.PortAudioError as exc:
                    raise self._error(exc) from exc
            else:
                raise self._error(first) from first
        try:
            self.last_callback = time.perf_counter()
            self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise self._error(exc) from exc
        self.latency_s = float(self._stream.latency)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
        except Exception:  # a vanished device may fail even to close; it is gone either way
            pass

    def silent_for(self) -> float:
        """Seconds since the callback last ran: a stalled device stops calling back."""
        return time.perf_counter() - self.last_callback

    def _channels(self) -> int:
        return 1

    def _open(self, sd: Any, channels: int) -> Any:
        raise NotImplementedError

    def _error(self, exc: BaseException) -> VoicePanelError:
        what = "microphone" if self.kind is DeviceKind.INPUT else "speaker"
        return VoicePanelError(
            f"Could not open the {what} '{self.device.name}' ({exc}).",
            "The device may be in use by another program or unplugged: close that "
            "program or choose another device.",
            cause=exc,
        )


class CaptureStream(_DeviceStream):
    """Microphone -> ring (device rate, mono: the first channel)."""

    kind = DeviceKind.INPUT

    def _open(self, sd: Any, channels: int) -> Any:
        return sd.InputStream(
            device=self.device.index,
            samplerate=self.rate,
            blocksize=self.blocksize,
            channels=channels,
            dtype="float32",
            latency="high",
            callback=self._callback,
        )

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.xruns += 1
        self.ring.write(indata[:, 0])
        now = time.perf_counter()
        self.callbacks += 1
        self.last_callback = now
        self.stamps.mark(self.ring.written, now)


class PlaybackStream(_DeviceStream):
    """Ring -> speaker (device rate; mono copied to every channel); silence when dry."""

    kind = DeviceKind.OUTPUT

    def __init__(self, device: AudioDevice, block_ms: int = BLOCK_MS) -> None:
        super().__init__(device, block_ms)
        self.underrun_blocks = 0

    def _open(self, sd: Any, channels: int) -> Any:
        return sd.OutputStream(
            device=self.device.index,
            samplerate=self.rate,
            blocksize=self.blocksize,
            channels=channels,
            dtype="float32",
            latency="high",
            callback=self._callback,
        )

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.xruns += 1
        got = self.ring.read_into(outdata[:, 0])
        if got < frames:
            self.underrun_blocks += 1
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        now = time.perf_counter()
        self.callbacks += 1
        self.last_callback = now
        self.stamps.mark(self.ring.consumed, now)
