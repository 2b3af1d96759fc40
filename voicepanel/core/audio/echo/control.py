"""The one object the local agent holds for echo: the canceller, the half-duplex
fallback, the ERLE meter and the headset hint behind a far-in / near-out interface at
the room's rate, and a status value for the panel."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.echo.apm import (
    EchoCancellationUnavailable,
    EchoCanceller,
    EchoStages,
    EchoState,
)
from voicepanel.core.audio.echo.erle import ErleMeter
from voicepanel.core.audio.echo.half_duplex import GateMode, HalfDuplexGate
from voicepanel.core.audio.echo.rechunk import FrameRechunker
from voicepanel.core.audio.echo.speakers import looks_like_builtin_speakers


class EchoMode(Enum):
    CANCEL = "cancel"
    """WebRTC echo cancellation (full duplex)."""
    HALF_DUPLEX = "half_duplex"
    """The microphone is held back while the room speaks."""
    OFF = "off"


@dataclass(frozen=True)
class EchoStatus:
    """What the panel shows about echo; cheap to take at the meters' 30 Hz."""

    mode: EchoMode
    """The mode in effect: HALF_DUPLEX when CANCEL was asked for but is unavailable."""
    requested: EchoMode
    canceller: EchoState
    stages: EchoStages
    erle_db: float | None
    echo_leaking: bool
    held_back: bool
    """Half-duplex is muting or ducking the microphone right now."""
    suggest_headset: bool
    """Echo leaks and the output looks like open speakers: suggest a headset."""
    stream_delay_ms: int
    problem: EchoCancellationUnavailable | None


@dataclass(frozen=True)
class HalfDuplexSettings:
    threshold_db: float = -45.0
    barge_in_db: float = -20.0
    hold_ms: float = 300.0
    gate_mode: GateMode = GateMode.DUCK
    duck_db: float = -30.0


class EchoControl:
    """Feed ``far`` every frame handed to the speaker (silence included) and pass the
    microphone's new samples through ``near``; both at the room's rate, on the loop.

    ``near`` returns whole frames only; ``pending_samples`` says how many input samples
    wait for the next one, so the caller can date what it got. The ERLE meter sees those
    frames when ``measure`` runs (or ``far`` or ``status``): the caller sends them first.
    """

    def __init__(
        self,
        rate: int,
        *,
        frame_ms: int = 20,
        mode: EchoMode = EchoMode.CANCEL,
        stages: EchoStages | None = None,
        half_duplex: HalfDuplexSettings | None = None,
        output_device_name: str = "",
    ) -> None:
        self.rate = rate
        self.frame_samples = rate * frame_ms // 1000
        self.requested = mode
        stages = stages or EchoStages()
        self.canceller = EchoCanceller(
            rate, aec=stages.aec, ns=stages.ns, hpf=stages.hpf, agc=stages.agc
        )
        hd = half_duplex or HalfDuplexSettings()
        self.gate = HalfDuplexGate(
            rate,
            threshold_db=hd.threshold_db,
            barge_in_db=hd.barge_in_db,
            hold_ms=hd.hold_ms,
            mode=hd.gate_mode,
            duck_db=hd.duck_db,
        )
        self.meter = ErleMeter(rate)
        self.output_device_name = output_device_name
        self._chunker = FrameRechunker(self.frame_samples)
        self._unmeasured: list[tuple[npt.NDArray[np.float32], npt.NDArray[np.generic]]] = []
        """Microphone frames before and after processing, not yet metered."""

    @property
    def mode(self) -> EchoMode:
        if self.requested is EchoMode.CANCEL and self.canceller.state is EchoState.UNAVAILABLE:
            # The assistant must not hear itself: without a canceller, hold the mic back.
            return EchoMode.HALF_DUPLEX
        return self.requested

    @property
    def pending_samples(self) -> int:
        return self._chunker.pending

    def set_mode(self, mode: EchoMode) -> None:
        if mode is EchoMode.CANCEL and self.requested is not EchoMode.CANCEL:
            # It saw no microphone meanwhile: start from a clean echo path, not a stale one.
            self.canceller.reset()
        self.requested = mode

    def set_stages(self, **changes: bool) -> None:
        """E.g. ``set_stages(ns=False)``; the canceller re-converges in about a second."""
        self.canceller.set_stages(dataclasses.replace(self.canceller.stages, **changes))

    def set_stream_delay_ms(self, delay_ms: float) -> None:
        self.canceller.set_stream_delay_ms(delay_ms)

    def set_output_device_name(self, name: str) -> None:
        self.output_device_name = name

    def devices_changed(self) -> None:
        """A new microphone or speaker: the echo path is another one, learn it afresh."""
        self.canceller.reset()
        self.meter = ErleMeter(self.rate, echo_delay_ms=self.canceller.stream_delay_ms)
        self._chunker.clear()
        self._unmeasured.clear()

    def far(self, frame: npt.NDArray[np.float32]) -> None:
        self.measure()  # the meter pairs the microphone with the far end in order
        if self.mode is EchoMode.CANCEL:
            self.canceller.process_far(frame)
        self.gate.observe_far(frame)
        self.meter.observe_far(frame)

    def near(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self._chunker.push(samples)
        out: list[npt.NDArray[np.float32]] = []
        mode = self.mode
        for raw in self._chunker.frames():
            if mode is EchoMode.CANCEL:
                cleaned = self.canceller.process_near(raw)
            elif mode is EchoMode.HALF_DUPLEX:
                cleaned = self.gate.process_near(raw)
            else:
                cleaned = raw
            self._unmeasured.append((raw, cleaned))
            out.append(cleaned.astype(np.float32, copy=False))
        if not out:
            return np.zeros(0, dtype=np.float32)
        return out[0] if len(out) == 1 else np.concatenate(out)

    def measure(self) -> None:
        """Meters what ``near`` returned since the last call. The engine calls it after
        sending those frames, so the meter (about 50 us a frame, 0.2 ms at times) is not
        on the microphone's way to the room."""
        for raw, cleaned in self._unmeasured:
            self.meter.update_near(raw, cleaned)
        self._unmeasured.clear()

    def status(self) -> EchoStatus:
        self.measure()
        mode = self.mode
        leaking = self.meter.echo_leaking
        return EchoStatus(
            mode=mode,
            requested=self.requested,
            canceller=self.canceller.state,
            stages=self.canceller.stages,
            erle_db=self.meter.erle_db,
            echo_leaking=leaking,
            held_back=mode is EchoMode.HALF_DUPLEX and self.gate.held_back,
            suggest_headset=leaking and looks_like_builtin_speakers(self.output_device_name),
            stream_delay_ms=self.canceller.stream_delay_ms,
            problem=self.canceller.unavailable,
        )


def describe(status: EchoStatus) -> str:
    """One line for the panel, e.g. 'Echo cancellation on: 42 dB removed'."""
    if status.mode is EchoMode.OFF:
        text = "Echo cancellation off"
    elif status.mode is EchoMode.HALF_DUPLEX:
        text = "Half-duplex: microphone held back" if status.held_back else "Half-duplex"
    else:
        text = "Echo cancellation on"
    if status.erle_db is not None and status.mode is not EchoMode.OFF:
        text += f": {status.erle_db:.0f} dB removed"
    if status.echo_leaking:
        text += " - the room can hear its own voice"
    return text
