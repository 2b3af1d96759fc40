"""One local agent's audio, on the audio loop (``audio_thread``): the devices, the uplink
(microphone or file -> echo control -> gain, mute, meter -> 20 ms frames -> socket), the
room (socket -> jitter buffers -> the speaker's callback mixes), what was played fed back
to echo control, the latency meter and the recorder, and the meters taken at ~30 Hz.

The loop wakes when a device callback completes a block (``Waker``) or a timer runs out.
Nothing here waits on the window: what the window needs is handed to ``EngineEvents``,
whose implementation carries it across to the window's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voicepanel.core.agent_link import AgentLink
from voicepanel.core.audio.device_io import Captured, DeviceAudio, Stall
from voicepanel.core.audio.devices import AudioDevice, DeviceKind
from voicepanel.core.audio.echo import EchoControl, EchoStatus, stream_delay_ms
from voicepanel.core.audio.gc_pauses import defer_full_collections, resume_full_collections
from voicepanel.core.audio.latency import Turn, TurnLatencyMeter
from voicepanel.core.audio.meters import Level
from voicepanel.core.audio.pcm import frame_samples, to_pcm16
from voicepanel.core.audio.probe import PipelineProbe
from voicepanel.core.audio.recording import CallRecording
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.room_mix import PeerSnapshot, RoomMix
from voicepanel.core.audio.streams import Waker
from voicepanel.core.audio.uplink import Uplink
from voicepanel.core.errors import VoicePanelError

log = logging.getLogger(__name__)

TICK_S = 0.01
"""Timer tick while the microphone cannot pace the loop (none, or a file playing): the
file, the speakerless clock and handing on what the speaker played are paced by it."""
IDLE_TICK_S = 0.05
"""With a microphone open its callback wakes the loop every block (the speaker's callback
mixes by itself and needs no wake-up); the timer is only a safety net."""
LEVELS_EVERY_S = 1 / 30
DEVICE_CHECK_EVERY_S = 0.5
REOPEN_AT_MOST_EVERY_S = 30.0
REOPEN_PROOF_S = 2.0
REOPEN_PROOF_BLOCKS = 5
"""A reopened device counts as back once it has called back this often within
``REOPEN_PROOF_S``."""


@dataclass(frozen=True)
class EngineLevels:
    input: Level
    transmitting: bool
    peers: tuple[PeerSnapshot, ...]
    echo: EchoStatus


class EngineEvents(Protocol):
    """What the engine reports, called on the audio loop (implementations carry it over
    to the window's loop, see ``LocalAgent``)."""

    def levels(self, levels: EngineLevels) -> None: ...
    def turn(self, turn: Turn) -> None: ...
    def error(self, error: VoicePanelError) -> None: ...
    def devices_changed(self) -> None: ...
    def peer_appeared(self, peer_id: str) -> None: ...


class AudioEngine:
    def __init__(self, sample_rate: int, events: EngineEvents) -> None:
        self.sample_rate = sample_rate
        self.frame_size = frame_samples(sample_rate)
        self.frame_s = self.frame_size / sample_rate
        self.events = events
        self.room = RoomMix(sample_rate, self.frame_size)
        self.devices = DeviceAudio(sample_rate, self.room.mix_into)
        self.uplink = Uplink(sample_rate, self.frame_size)
        self.echo = EchoControl(sample_rate, frame_ms=20)
        """Far end: every mixed frame the speaker played; near end: the microphone, before
        the uplink's gain, mute, meter, VAD, recording and sending."""
        self.uplink.microphone_filter = self.echo.near
        self.uplink.filter_held = lambda: self.echo.pending_samples
        self.latency = TurnLatencyMeter()
        self.probe: PipelineProbe | None = None
        self.recording: CallRecording | None = None
        self.link: AgentLink | None = None
        self.far_end_tap: Callable[[Samples], None] | None = None
        """Sees every mixed frame as it is played, whether a speaker is open or not."""
        self.latest = EngineLevels(Level(), False, (), self.echo.status())
        self._played: Samples = np.zeros(self.frame_size, dtype=np.float32)
        self._clock_out: Samples = np.zeros(self.frame_size, dtype=np.float32)
        self._task: asyncio.Task[None] | None = None
        self._holds_gc = False
        """Full garbage collections are held off while this engine runs (gc_pauses)."""
        self._waker: Waker | None = None
        self._wake = asyncio.Event()
        self._reopened_at: dict[DeviceKind, float] = {}
        """When a stalled device of each kind was last reopened (monotonic clock)."""

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._start_waker()
            self._task = asyncio.create_task(self._run(), name="local-agent-audio")
        if not self._holds_gc:
            self._holds_gc = True
            defer_full_collections()

    async def stop(self) -> None:
        """Stops the loop's work, the devices and any recording (the socket is the caller's)."""
        task, self._task = self._task, None
        if self._holds_gc:
            self._holds_gc = False
            resume_full_collections()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.stop_recording()
        await self.devices.close()
        self._stop_waker()

    def receive(self, peer_id: str, track_id: str, data: bytes, arrived_at: float) -> None:
        """A frame off the socket (AgentLink's sink)."""
        if self.room.receive(peer_id, track_id, data, arrived_at):
            self.events.peer_appeared(peer_id)

    # -- devices -------------------------------------------------------------------------

    async def open_device(self, kind: DeviceKind, device: AudioDevice) -> None:
        """Raises VoicePanelError when the device cannot be opened."""
        if kind is DeviceKind.INPUT:
            await self.devices.open_input(device)
        else:
            await self.devices.open_output(device)
            self.echo.set_output_device_name(device.name)
        self._hint_echo_delay()
        # Another microphone or speaker is another echo path: learn it afresh.
        self.echo.devices_changed()

    async def close_device(self, kind: DeviceKind) -> None:
        if kind is DeviceKind.INPUT:
            await self.devices.close_input()
        else:
            await self.devices.close_output()
            self.echo.set_output_device_name("")

    def _hint_echo_delay(self) -> None:
        """Tells the canceller roughly how late the speaker's sound reaches the microphone:
        the speaker's latency, then the microphone's (it finds the rest)."""
        capture, playback = self.devices.capture, self.devices.playback
        if capture is None or playback is None:
            return
        self.echo.set_stream_delay_ms(stream_delay_ms(capture.latency_s, playback.latency_s))

    async def _check_devices(self) -> None:
        gone = False
        for stall in self.devices.stalled():
            await self.close_device(stall.kind)
            if await self._reopen(stall):
                self.events.error(stall.reopened())
            else:
                self.events.error(stall.lost())
                gone = True
        if gone:
            self.events.devices_changed()
        self._hint_echo_delay()

    async def _reopen(self, stall: Stall) -> bool:
        """Once per device in ``REOPEN_AT_MOST_EVERY_S``: a sound server that stalled for
        a moment (a busy machine) plays again; a device that keeps stalling, or is gone,
        is left closed and the person is told."""
        now = time.monotonic()
        if (
            now - self._reopened_at.get(stall.kind, -REOPEN_AT_MOST_EVERY_S)
            < REOPEN_AT_MOST_EVERY_S
        ):
            return False
        try:
            await self.open_device(stall.kind, stall.device)
        except VoicePanelError:
            log.warning("Could not reopen the %s after it stalled", stall.kind.noun)
            return False
        if not await self._calls_back(stall.kind):
            # Opened, but silent (a suspended source, a server still stopped): not back.
            log.warning("The %s reopened after a stall but does not run", stall.kind.noun)
            await self.close_device(stall.kind)
            return False
        self._reopened_at[stall.kind] = now
        log.warning("The %s stalled for %.1f s and was reopened", stall.kind.noun, stall.silent_s)
        return True

    async def _calls_back(self, kind: DeviceKind) -> bool:
        """Whether the stream just opened for ``kind`` runs: a few blocks within
        ``REOPEN_PROOF_S`` (the engine's pass waits meanwhile; the speaker mixes by itself)."""
        stream = self.devices.capture if kind is DeviceKind.INPUT else self.devices.playback
        deadline = time.monotonic() + REOPEN_PROOF_S
        while stream is not None and time.monotonic() < deadline:
            if stream.callbacks >= REOPEN_PROOF_BLOCKS:
                return True
            await asyncio.sleep(0.02)
        return False

    # -- recording -----------------------------------------------------------------------

    def start_recording(self, recording: CallRecording) -> None:
        self.stop_recording()
        self.room.start_stems()
        self.recording = recording

    def stop_recording(self) -> list:  # type: ignore[type-arg]
        recording, self.recording = self.recording, None
        self.room.stop_stems()
        if recording is None:
            return []
        recording.close()
        return recording.paths

    # -- the loop ------------------------------------------------------------------------

    def _start_waker(self) -> None:
        if self._waker is not None:
            return
        waker = Waker()
        try:
            asyncio.get_running_loop().add_reader(waker.fileno(), self._on_wake)
        except (NotImplementedError, RuntimeError):
            # A loop without add_reader (Windows' proactor): the timer paces the audio.
            waker.close()
            return
        self._waker = waker
        self.devices.waker = waker
        if self.devices.capture is not None:
            self.devices.capture.waker = waker

    def _stop_waker(self) -> None:
        waker, self._waker = self._waker, None
        self.devices.waker = None
        if waker is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(waker.fileno())
        waker.close()

    def _on_wake(self) -> None:
        if self._waker is not None:
            self._waker.drain()
        self._wake.set()

    async def _wait_for_wake(self) -> None:
        paced = (
            self._waker is not None
            and self.devices.capture is not None
            and self.uplink.file is None
        )
        if not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_TICK_S if paced else TICK_S):
                    await self._wake.wait()
        self._wake.clear()

    async def _run(self) -> None:
        next_levels = next_check = next_failure_log = time.perf_counter()
        while True:
            try:
                now = time.perf_counter()
                if now >= next_check:
                    next_check = now + DEVICE_CHECK_EVERY_S
                    await self._check_devices()
                self._mix_without_speaker(now)
                # The microphone's frames go out first, then echo control meters them and
                # is handed what the speaker played (its echo reaches the microphone tens
                # of milliseconds later, in a later block, so the order within a pass is free).
                await self._send_local(now)
                self.echo.measure()
                self._after_played()
                if now >= next_levels:
                    next_levels = now + LEVELS_EVERY_S
                    self.latest = self._take_levels()
                    self.events.levels(self.latest)
            except asyncio.CancelledError:
                raise
            except Exception:
                # One bad tick (a full disk under the recorder...) must not stop the audio;
                # a failure that repeats every tick is logged every few seconds, not 100/s.
                if time.perf_counter() >= next_failure_log:
                    next_failure_log = time.perf_counter() + 5.0
                    log.exception("Local agent audio tick failed")
            await self._wait_for_wake()

    def _take_levels(self) -> EngineLevels:
        has_source = self.devices.capture is not None or self.uplink.file is not None
        return EngineLevels(
            self.uplink.meter.take(),
            self.uplink.controls.transmitting and has_source,
            tuple(self.room.snapshot()),
            self.echo.status(),
        )

    def _mix_without_speaker(self, now: float) -> None:
        for _ in range(self.devices.clock_frames_due(now)):
            self.room.mix_into(self._clock_out, now)

    def _after_played(self) -> None:
        """What the speaker played (or the clock mixed) since the last pass: the far end
        for echo control, the remote side of the latency meter, the recording."""
        room, frame, fs = self.room, self._played, self.frame_size
        played = room.played
        speaker = self.devices.playback is not None
        latency_s = self.devices.output_latency_s()
        probe = self.probe
        if probe is not None:
            for peer in room.peers.values():
                probe.resolve_peer(peer.jitter)
        # Frames are drained right after the callback that mixed the newest: date each
        # back from that callback's stamp (no search through the stamp log per frame).
        last = room.played_stamps.last()
        newest_at = last[1] if last is not None else time.perf_counter()
        while played.available >= fs:
            mixed_at = newest_at - (played.available // fs - 1) * self.frame_s
            played.read_into(frame)
            if speaker:
                # Silence too: the canceller counts speaker and microphone frames in step.
                self.echo.far(frame)
            if self.far_end_tap is not None:
                self.far_end_tap(frame)
            heard_at = mixed_at + latency_s
            turn = self.latency.remote(frame, heard_at, self.frame_s)
            if turn is not None:
                self.events.turn(turn)
            if self.recording is not None:
                self.recording.write_room(frame, self._stems())

    def _stems(self) -> dict[str, Samples]:
        stems: dict[str, Samples] = {}
        fs = self.frame_size
        for peer_id, peer in self.room.peers.items():
            if peer.stem is not None and peer.stem.available >= fs:
                stems[peer_id] = peer.stem.read(fs)
        return stems

    async def _send_local(self, now: float) -> None:
        captured = self.devices.read_input()
        frames = self.uplink.pull(captured, now)
        link = self.link
        for i, frame in enumerate(frames):
            if frame.live and link is not None and link.live:
                try:
                    await link.send(to_pcm16(frame.samples))
                except Exception:
                    pass  # the receive side reports the drop
                else:
                    if self.probe is not None:
                        self._probe_sent(captured, len(frames) - 1 - i)
            turn = self.latency.local(frame.samples, frame.at, self.frame_s)
            if turn is not None:
                self.events.turn(turn)
            if self.recording is not None:
                self.recording.write_local(frame.samples)

    def _probe_sent(self, captured: Captured | None, frames_after: int) -> None:
        capture = self.devices.capture
        if self.probe is None or captured is None or capture is None or self.uplink.file:
            return
        behind = frames_after * self.frame_size + self.uplink.pending
        position = captured.end_position - int(behind * captured.device_rate / self.sample_rate)
        self.probe.sent(capture.stamps, position)
