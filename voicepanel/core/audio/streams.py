"""PortAudio streams at the device's own rate. Their callbacks only copy between the
device buffer and a preallocated ring, stamp the time, and may wake the asyncio loop
with one byte on a pre-created socket (``Waker``): nothing else runs there."""

from __future__ import annotations

import contextlib
import socket
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


class Waker:
    """Wakes the asyncio loop from a PortAudio callback: one ``send`` of a constant byte on
    a pre-created non-blocking socket pair (what asyncio's own self-pipe does, without the
    handle ``call_soon_threadsafe`` allocates and the lock it takes). The loop watches
    ``fileno`` with ``add_reader``; a socket pair works there with every loop, qasync's on
    Windows too. At most one byte is in flight: ``notify`` sends only when the loop has
    taken the previous one, so a stalled loop never fills the socket."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._send = self._writer.send  # bound once: no method object per callback
        self._byte = b"\x01"
        self._armed = True
        self.wakeups = 0

    def fileno(self) -> int:
        return self._reader.fileno()

    def notify(self) -> None:
        """From the audio callback: a flag test and, once per loop wake-up, one syscall."""
        if self._armed:
            self._armed = False
            # Not contextlib.suppress: that would allocate a context manager per block.
            try:  # noqa: SIM105
                self._send(self._byte)
            except OSError:  # closed meanwhile, or (never seen) full: the loop's timer covers it
                pass

    def drain(self) -> None:
        """On the loop, before reading the rings: take the byte, then re-arm. A callback that
        runs between the two has its audio in the rings already, read right after."""
        with contextlib.suppress(OSError):
            while self._reader.recv(64):
                self.wakeups += 1
        self._armed = True

    def close(self) -> None:
        self._armed = False
        self._reader.close()
        self._writer.close()


class _DeviceStream:
    kind: DeviceKind

    def __init__(
        self, device: AudioDevice, block_ms: int = BLOCK_MS, rate: int | None = None
    ) -> None:
        self.device = device
        self.block_ms = block_ms
        self.preferred_rate = rate or device.default_rate
        """Tried first (the room's rate: the sound server resamples, with no added delay
        on our side); the device's own rate if the device refuses it."""
        self.rate = self.preferred_rate
        self.blocksize = block_size(self.rate, block_ms)
        self.ring = RingBuffer(int(max(self.rate, device.default_rate) * RING_SECONDS))
        self.stamps = StampLog()
        self.xruns = 0
        self.callbacks = 0
        self.last_callback = 0.0
        self.latency_s = 0.0
        self.waker: Waker | None = None
        """Notified after every block (set before ``start``)."""
        self._stream: Any = None

    @property
    def active(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    def open(self) -> None:
        """Opens without starting, at the preferred rate if the device takes it; ``rate``
        says which. ``start`` opens first if needed."""
        if self._stream is not None:
            return
        sd = load_sounddevice()
        if self.preferred_rate != self.device.default_rate:
            try:
                self._open_at(sd, self.preferred_rate)
                return
            except VoicePanelError:
                pass  # e.g. a hardware device at its fixed rate: we resample instead
        self._open_at(sd, self.device.default_rate)

    stream_class: str  # sounddevice's InputStream or OutputStream
    _callback: Any  # each kind's PortAudio callback

    def _open(self, sd: Any, channels: int) -> Any:
        # latency="high": "low" was unstable on PulseAudio in our measurements.
        return getattr(sd, self.stream_class)(
            device=self.device.index,
            samplerate=self.rate,
            blocksize=self.blocksize,
            channels=channels,
            dtype="float32",
            latency="high",
            callback=self._callback,
        )

    def _open_at(self, sd: Any, rate: int) -> None:
        self.rate = rate
        self.blocksize = block_size(rate, self.block_ms)
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

    def start(self) -> None:
        sd = load_sounddevice()
        self.open()
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

    def _error(self, exc: BaseException) -> VoicePanelError:
        what = "microphone" if self.kind is DeviceKind.INPUT else "speaker"
        return VoicePanelError(
            f"Could not open the {what} '{self.device.name}' ({exc}).",
            "The device may be in use by another program or unplugged: close that "
            "program or choose another device.",
            cause=exc,
        )


class CaptureStream(_DeviceStream):
    """Microphone -> ring (stream rate, mono: the first channel)."""

    kind = DeviceKind.INPUT

    stream_class = "InputStream"

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.xruns += 1
        self.ring.write(indata[:, 0])
        now = time.perf_counter()
        self.callbacks += 1
        self.last_callback = now
        self.stamps.mark(self.ring.written, now)
        waker = self.waker
        if waker is not None:
            waker.notify()


class PlaybackStream(_DeviceStream):
    """Ring -> speaker (stream rate; mono copied to every channel); silence when dry."""

    kind = DeviceKind.OUTPUT

    def __init__(
        self, device: AudioDevice, block_ms: int = BLOCK_MS, rate: int | None = None
    ) -> None:
        super().__init__(device, block_ms, rate)
        self.underrun_blocks = 0

    stream_class = "OutputStream"

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
        waker = self.waker
        if waker is not None:
            waker.notify()
