"""PortAudio streams, at the room's rate when the device takes it. The capture callback
only copies into a preallocated ring; the playback callback asks its ``source`` (the
room's mix) for one block into PortAudio's buffer. Both stamp the time and may wake the
audio loop with one byte on a pre-created socket (``Waker``): no lock, no I/O, no logging
runs there. Opening, starting and closing go through ``PortAudioOwner``."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from voicepanel.core.audio.devices import AudioDevice, DeviceKind, load_sounddevice
from voicepanel.core.audio.realtime import raise_thread_priority
from voicepanel.core.audio.ringbuffer import RingBuffer, Samples
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
        # One byte at most is in flight (``notify`` sends only when armed): one read,
        # without the loop until BlockingIOError that an exception per wake-up costs.
        with contextlib.suppress(OSError):
            if self._reader.recv(64):
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
        self.stamps = StampLog()
        self.xruns = 0
        self.callbacks = 0
        self.last_callback = 0.0
        self.latency_s = 0.0
        self.priority = ""
        """What the callback's thread was granted, asked on its first call."""
        self.thread_id = 0
        """The callback's thread (native id), noted on its first call."""
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
        what = self.kind.noun
        return VoicePanelError(
            f"Could not open the {what} '{self.device.name}' ({exc}).",
            "The device may be in use by another program or unplugged: close that "
            "program or choose another device.",
            cause=exc,
        )


class CaptureStream(_DeviceStream):
    """Microphone -> ring (stream rate, mono: the first channel)."""

    kind = DeviceKind.INPUT

    def __init__(
        self, device: AudioDevice, block_ms: int = BLOCK_MS, rate: int | None = None
    ) -> None:
        super().__init__(device, block_ms, rate)
        self.ring = RingBuffer(int(max(self.rate, device.default_rate) * RING_SECONDS))

    stream_class = "InputStream"

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if not self.priority:
            self.priority = raise_thread_priority()
            self.thread_id = threading.get_native_id()
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


BlockSource = Callable[[Samples, float], None]
"""Fills one block (mono, the stream's rate) for the speaker; gets the callback's time."""


class PlaybackStream(_DeviceStream):
    """``source`` -> speaker (stream rate; mono copied to every channel)."""

    kind = DeviceKind.OUTPUT

    def __init__(
        self,
        device: AudioDevice,
        source: BlockSource,
        block_ms: int = BLOCK_MS,
        rate: int | None = None,
    ) -> None:
        super().__init__(device, block_ms, rate)
        self.source = source
        self.played = 0
        """Samples handed to PortAudio so far (the position ``stamps`` refer to)."""
        self.longest_gap_s = 0.0
        """Longest time between two callbacks (a callback late by this less one block)."""

    stream_class = "OutputStream"

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if not self.priority:
            self.priority = raise_thread_priority()
            self.thread_id = threading.get_native_id()
        if status.output_underflow:
            self.xruns += 1
        now = time.perf_counter()
        gap = now - self.last_callback
        if gap > self.longest_gap_s and self.callbacks:
            self.longest_gap_s = gap
        self.source(outdata[:, 0], now)
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        self.played += frames
        self.callbacks += 1
        self.last_callback = now
        self.stamps.mark(self.played, now)
        waker = self.waker
        if waker is not None:
            waker.notify()
