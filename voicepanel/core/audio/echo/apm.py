"""Echo cancellation with WebRTC's audio processing module, as built by livekit.

``EchoCanceller`` owns one APM for one local-agent session. The far end (what is about to
be played) goes in with ``process_far``, the microphone comes out cleaned by
``process_near``; both take whole 10 ms frames or any multiple (a 20 ms room frame).
It runs on the asyncio side, never in a PortAudio callback.

Each call into livekit is a protobuf request through its FFI, about 60 us before any
audio is processed, so a frame is one call whatever its length (livekit's native side
cuts it into WebRTC's 10 ms frames, with the same result as 10 ms calls: a test checks),
the stream delay is sent only when it changes (WebRTC keeps it), and the int16
conversion works in preallocated buffers. When livekit cannot be loaded, or the native
side fails, it passes audio through and says why in ``unavailable``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.echo.delay import MAX_STREAM_DELAY_MS
from voicepanel.core.errors import VoicePanelError

APM_FRAME_MS = 10
NS_SETTLE_FRAMES = 50
"""10 ms frames of near-silence fed to a new APM: the noise suppressor's startup phase."""


class EchoCancellationUnavailable(VoicePanelError):
    """Echo cancellation cannot run here; audio passes through unprocessed."""


def _unavailable(detail: str, cause: BaseException | None) -> EchoCancellationUnavailable:
    return EchoCancellationUnavailable(
        f"Echo cancellation is unavailable ({detail}).",
        "The assistant may hear itself through the speakers: use a headset, or turn on "
        "half-duplex. Reinstalling VoicePanel restores the 'livekit' audio module.",
        cause=cause,
    )


@dataclass(frozen=True)
class EchoStages:
    """Which WebRTC processing stages run on the microphone."""

    aec: bool = True
    """Echo cancellation (AEC3): removes what the speakers put into the microphone."""
    ns: bool = True
    """Noise suppression."""
    hpf: bool = True
    """High-pass filter: removes DC and rumble before the other stages."""
    agc: bool = False
    """Automatic gain control; off by default so the input gain slider means what it says."""

    @property
    def any(self) -> bool:
        return self.aec or self.ns or self.hpf or self.agc


class EchoState(Enum):
    ACTIVE = "active"
    """Processing the microphone with the chosen stages."""
    BYPASSED = "bypassed"
    """Every stage switched off: audio passes through untouched."""
    UNAVAILABLE = "unavailable"
    """The APM could not be loaded or failed: audio passes through; see ``unavailable``."""


def _load_rtc() -> Any:
    try:
        from livekit import rtc
    except Exception as exc:  # ImportError, or the native library failing to load
        raise _unavailable("the 'livekit' package could not be loaded", exc) from exc
    return rtc


class _FrameIO:
    """A reusable int16 buffer wrapped as an rtc.AudioFrame, with a numpy view on it, and
    the float scratch (and dither) to fill it without allocating."""

    def __init__(self, rtc: Any, sample_rate: int, channels: int, samples: int) -> None:
        self.samples = samples
        self.buffer = bytearray(samples * channels * 2)
        self.view = np.frombuffer(self.buffer, dtype=np.int16).reshape(samples, channels)
        self.frame = rtc.AudioFrame(self.buffer, sample_rate, channels, samples)
        self.scratch = np.zeros((samples, channels), dtype=np.float32)
        self.noise = np.zeros((samples, channels), dtype=np.float32)

    def fill(self, frame: npt.NDArray[np.generic], dither: np.random.Generator | None) -> None:
        """``frame`` (float, full scale 1.0, or int16) into the int16 buffer. Floats are
        rounded, with triangular dither of +-1 LSB when a generator is given (for the
        microphone). Besides being the right way to requantise, the dither keeps a
        digitally silent input (a virtual device, a muted interface) from being exactly
        zero: WebRTC's noise suppressor skips zero frames while it learns the noise, and
        then took 12 dB off the first second or so of speech (measured)."""
        if frame.dtype == np.int16:
            self.view[:] = frame.reshape(self.view.shape)
            return
        if frame.dtype.kind != "f":
            raise ValueError(f"frames must be int16 or float, got {frame.dtype}")
        x = self.scratch
        np.multiply(frame.reshape(x.shape), np.float32(32767.0), out=x)
        if dither is not None:
            dither.random(dtype=np.float32, out=self.noise)
            x += self.noise
            dither.random(dtype=np.float32, out=self.noise)
            x -= self.noise
        np.rint(x, out=x)
        np.clip(x, -32768.0, 32767.0, out=x)
        self.view[:] = x


class EchoCanceller:
    """WebRTC APM over mono (or interleaved multi-channel) frames at one sample rate.

    Frames are numpy arrays, int16 or float (full scale 1.0), shaped ``(n,)`` for mono or
    ``(n, channels)``; ``n`` must be a multiple of 10 ms. Output has the input's dtype and
    shape. Far and near frames should be fed as they happen, interleaved at about the
    same pace; ``set_stream_delay_ms`` tells the APM how late the echo arrives (AEC3 also
    estimates it, so a hint within ~100 ms is enough).
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int = 1,
        *,
        aec: bool = True,
        ns: bool = True,
        hpf: bool = True,
        agc: bool = False,
        stream_delay_ms: int = 0,
    ) -> None:
        if sample_rate % (1000 // APM_FRAME_MS) != 0:
            raise ValueError(f"{sample_rate} Hz has no whole 10 ms frame")
        if channels < 1:
            raise ValueError("channels must be at least 1")
        self.sample_rate = sample_rate
        self.channels = channels
        self.frame_samples = sample_rate * APM_FRAME_MS // 1000
        self.stages = EchoStages(aec=aec, ns=ns, hpf=hpf, agc=agc)
        self.unavailable: EchoCancellationUnavailable | None = None
        self.frames_processed = 0
        self._delay_ms = 0
        self._rtc: Any = None
        self._apm: Any = None
        self._far: _FrameIO | None = None
        self._near: _FrameIO | None = None
        self._delay_sent: int | None = None
        """The delay the APM holds (None: send before the next near frame)."""
        self._dither = np.random.default_rng()
        try:
            self._rtc = _load_rtc()
        except EchoCancellationUnavailable as exc:
            self.unavailable = exc
        self.set_stream_delay_ms(stream_delay_ms)
        self._build()

    # -- state -------------------------------------------------------------------------

    @property
    def state(self) -> EchoState:
        if self.unavailable is not None:
            return EchoState.UNAVAILABLE
        return EchoState.ACTIVE if self._apm is not None else EchoState.BYPASSED

    @property
    def stream_delay_ms(self) -> int:
        return self._delay_ms

    def set_stream_delay_ms(self, delay_ms: float) -> None:
        """Delay from a far frame going in to its echo reaching ``process_near``; see
        ``delay.stream_delay_ms`` to compute it from the streams' latencies."""
        self._delay_ms = int(min(MAX_STREAM_DELAY_MS, max(0, round(delay_ms))))

    def set_stages(self, stages: EchoStages | None = None, **changes: bool) -> None:
        """Switch stages at run time, e.g. ``set_stages(ns=False)``.

        livekit's APM takes its configuration only when built, so a change builds a new
        one: the echo canceller re-converges within about a second.
        """
        new = dataclasses.replace(stages or self.stages, **changes)
        if new == self.stages:
            return
        self.stages = new
        self._build()

    def reset(self) -> None:
        """Forget the learned echo path (after a device change, for instance)."""
        self._build()

    def _build(self) -> None:
        self._apm = None
        if self._rtc is None or self.unavailable is not None or not self.stages.any:
            return
        rtc, s = self._rtc, self.stages
        try:
            self._apm = rtc.AudioProcessingModule(
                echo_cancellation=s.aec,
                noise_suppression=s.ns,
                high_pass_filter=s.hpf,
                auto_gain_control=s.agc,
            )
            self._far = self._near = None
            self._delay_sent = None
            if s.ns:
                self._settle_noise_suppressor()
        except Exception as exc:
            self._fail("the audio processing module could not start", exc)

    def _settle_noise_suppressor(self) -> None:
        """WebRTC's noise suppressor spends its first half second learning the noise and
        meanwhile takes about 12 dB off whatever it hears: after a (re)build that was
        the person's first words (measured on a device opened just before speaking).
        Half a second of a -96 dBFS floor, fed now (~5 ms of work), makes that the quiet
        it learns from; the echo canceller is fresh either way."""
        assert self._apm is not None
        io = self._io_near(self.frame_samples)
        silence = np.zeros(self.frame_samples * self.channels, dtype=np.float32)
        for _ in range(NS_SETTLE_FRAMES):
            io.fill(silence, self._dither)
            self._apm.process_stream(io.frame)

    def _fail(self, detail: str, exc: BaseException) -> None:
        self._apm = None
        self.unavailable = _unavailable(detail, exc)

    # -- audio -------------------------------------------------------------------------

    def process_far(self, frame: npt.NDArray[np.generic]) -> None:
        """Give the canceller what is about to be played (the mixed remote audio, at the
        moment it is handed to the playback path). Nothing is returned or changed."""
        n = self._check_shape(frame)
        apm = self._apm
        if apm is None or not self.stages.aec:
            return
        io = self._far
        if io is None or io.samples != n:
            io = self._far = _FrameIO(self._rtc, self.sample_rate, self.channels, n)
        io.fill(frame, None)
        try:
            apm.process_reverse_stream(io.frame)
        except Exception as exc:
            self._fail("far-end processing failed", exc)

    def process_near(self, frame: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        """The microphone frame with the echo (and, if on, noise) removed."""
        n = self._check_shape(frame)
        apm = self._apm
        if apm is None:
            return frame
        io = self._io_near(n)
        io.fill(frame, self._dither)
        try:
            if self.stages.aec and self._delay_sent != self._delay_ms:
                # WebRTC keeps the delay from one frame to the next (a test checks that
                # sending it once gives what sending it before every frame does).
                apm.set_stream_delay_ms(self._delay_ms)
                self._delay_sent = self._delay_ms
            apm.process_stream(io.frame)
        except Exception as exc:
            self._fail("microphone processing failed", exc)
            return frame
        self.frames_processed += n // self.frame_samples
        shaped = io.view[:, 0] if frame.ndim == 1 else io.view
        if frame.dtype == np.int16:
            return shaped.copy()
        out = np.empty(shaped.shape, dtype=frame.dtype)
        np.multiply(shaped, np.float32(1.0 / 32768.0), out=out)
        return out

    def _io_near(self, samples: int) -> _FrameIO:
        io = self._near
        if io is None or io.samples != samples:
            io = self._near = _FrameIO(self._rtc, self.sample_rate, self.channels, samples)
        return io

    # -- conversion --------------------------------------------------------------------

    def _check_shape(self, frame: npt.NDArray[np.generic]) -> int:
        n = frame.shape[0]
        frame_channels = 1 if frame.ndim == 1 else frame.shape[1]
        if frame.ndim > 2 or frame_channels != self.channels:
            raise ValueError(f"expected {self.channels} channel(s), got shape {frame.shape}")
        if n == 0 or n % self.frame_samples:
            raise ValueError(
                f"frames must be a whole number of 10 ms ({self.frame_samples} samples at "
                f"{self.sample_rate} Hz), got {n}: use FrameRechunker"
            )
        return n
