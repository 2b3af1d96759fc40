"""LocalAgent: this computer joins a room as a Fishjam agent peer.

The microphone (or a WAV file) goes into the room as a PCM16 track; every other peer's
audio is jitter-buffered, mixed and played on the speaker; what the speaker plays is
removed from the microphone again (echo control), so the room never hears itself; levels,
jitter counters, echo status and per-turn voice-to-voice latency are reported through
plain callbacks. Everything here runs on the asyncio loop; the audio devices' callbacks
only touch ring buffers (core/audio) and wake the loop with one byte on a socket pair
(``Waker``), so a captured frame is sent, and the speaker topped up, as soon as a block
completes rather than at the next poll. A missing or failing device never takes the agent
out of the room: it keeps receiving and recovers when a device is chosen again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from fishjam.agent import Agent, AgentSession, OutgoingAudioTrackOptions, OutgoingTrack
from fishjam.agent.errors import AgentAuthError

from voicepanel.core.audio.device_io import DeviceAudio
from voicepanel.core.audio.devices import (
    AudioAvailability,
    DeviceInventory,
    DeviceKind,
    list_devices,
)
from voicepanel.core.audio.echo import EchoControl, EchoMode, EchoStatus, stream_delay_ms
from voicepanel.core.audio.latency import LatencySummary, Turn, TurnLatencyMeter
from voicepanel.core.audio.meters import Level
from voicepanel.core.audio.pcm import frame_samples, to_pcm16
from voicepanel.core.audio.probe import PipelineProbe
from voicepanel.core.audio.recording import CallRecording
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.room_mix import PeerSnapshot, RoomMix
from voicepanel.core.audio.streams import Waker
from voicepanel.core.audio.uplink import Uplink
from voicepanel.core.audio.wav import read_wav_at
from voicepanel.core.errors import VoicePanelError
from voicepanel.session.observable import Callbacks

log = logging.getLogger(__name__)

TICK_S = 0.01
"""Timer tick while the devices cannot pace the loop (no microphone or no speaker, or a
file playing): the file and the speakerless clock are paced by it."""
IDLE_TICK_S = 0.05
"""With both devices open their callbacks wake the loop every block; the timer is only a
safety net (a stalled device still gets noticed)."""
LEVELS_EVERY_S = 1 / 30
DEVICE_CHECK_EVERY_S = 0.5


class AgentGateway(Protocol):
    """What the agent needs from a Workspace or a FishjamGateway."""

    async def create_agent(
        self, room_id: str, sample_rate: int = 16000, subscribe_mode: str = "auto"
    ) -> Agent: ...

    async def delete_peer(self, room_id: str, peer_id: str) -> None: ...


class AgentState(Enum):
    IDLE = "idle"
    JOINING = "joining"
    LIVE = "live"
    DROPPED = "dropped"
    LEFT = "left"


@dataclass(frozen=True)
class AgentStatus:
    state: AgentState
    reason: str | None = None
    peer_id: str | None = None


@dataclass(frozen=True)
class PeerStrip:
    """One remote peer as the panel shows it."""

    peer_id: str
    kind: str
    """Peer type ("agent", "vapi", "webrtc") when known, else "peer"."""
    level: Level
    gain: float
    muted: bool
    underruns: int
    overruns: int
    depth_ms: float
    target_ms: float


@dataclass(frozen=True)
class AgentLevels:
    input: Level
    transmitting: bool
    peers: tuple[PeerStrip, ...]
    echo: EchoStatus | None = None
    """Echo control's mode, how much echo it removes, and whether the mic is held back."""


@dataclass(frozen=True)
class DeviceStatus:
    input_device: str | None
    output_device: str | None
    availability: AudioAvailability


class LocalAgent:
    def __init__(
        self,
        source: AgentGateway,
        room_id: str,
        sample_rate: int = 16000,
        *,
        subscribe_mode: str = "auto",
    ) -> None:
        self._source = source
        self.room_id = room_id
        self.sample_rate = sample_rate
        self.subscribe_mode = subscribe_mode
        self.frame_size = frame_samples(sample_rate)
        self.frame_s = self.frame_size / sample_rate

        self.devices = DeviceAudio(sample_rate)
        self.inventory: DeviceInventory = DeviceInventory(AudioAvailability.NO_DEVICES)
        self.uplink = Uplink(sample_rate, self.frame_size)
        self.echo = EchoControl(sample_rate, frame_ms=20)
        """Far end: every mixed frame the speaker plays; near end: the microphone, before
        the uplink's gain, mute, meter, VAD, recording and sending."""
        self.uplink.microphone_filter = self.echo.near
        self.uplink.filter_held = lambda: self.echo.pending_samples
        self.room = RoomMix(sample_rate, self.frame_size)
        self.latency = TurnLatencyMeter()
        self.probe: PipelineProbe | None = None
        self.recording: CallRecording | None = None
        self.status = AgentStatus(AgentState.IDLE)
        self.peer_kinds: dict[str, str] = {}
        self.far_end_tap: Callable[[Samples], None] | None = None
        """Sees every mixed frame as it goes to the speaker, whether one is open or not
        (``echo`` gets them only while one is)."""

        self.on_status: Callbacks[AgentStatus] = Callbacks("agent status")
        self.on_levels: Callbacks[AgentLevels] = Callbacks("agent levels")
        self.on_turn: Callbacks[Turn] = Callbacks("latency turn")
        self.on_error: Callbacks[VoicePanelError] = Callbacks("agent error")
        self.on_devices: Callbacks[DeviceStatus] = Callbacks("agent devices")
        self.on_peers: Callbacks[tuple[str, ...]] = Callbacks("agent peers")

        self._agent: Agent | None = None
        self._session: AgentSession | None = None
        self._track: OutgoingTrack | None = None
        self._connection: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._leaving = False
        self._remove_close_hook: Callable[[], None] | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._input_key: str | None = None
        self._unavailable_reported = False
        self._output_key: str | None = None
        self._waker: Waker | None = None
        self._wake = asyncio.Event()
        self._peer_late = False

    # -- observable state ----------------------------------------------------------------

    @property
    def state(self) -> AgentState:
        return self.status.state

    @property
    def peer_id(self) -> str | None:
        return self._agent.id if self._agent is not None else None

    @property
    def turns(self) -> list[Turn]:
        return list(self.latency.turns)

    def latency_summary(self) -> LatencySummary:
        return self.latency.summary()

    def device_status(self) -> DeviceStatus:
        capture, playback = self.devices.capture, self.devices.playback
        return DeviceStatus(
            capture.device.key if capture else None,
            playback.device.key if playback else None,
            self.inventory.availability,
        )

    def levels(self) -> AgentLevels:
        """Levels since the previous call (the ~30 Hz push calls this)."""
        has_source = self.devices.capture is not None or self.uplink.file is not None
        return AgentLevels(
            self.uplink.meter.take(),
            self.uplink.controls.transmitting and has_source,
            tuple(self._strip(s) for s in self.room.snapshot()),
            self.echo.status(),
        )

    # -- joining and leaving -------------------------------------------------------------

    async def join(self, timeout_s: float = 15.0) -> None:
        """Creates the agent peer, connects and adds the outgoing track. Raises
        VoicePanelError when the room cannot be joined."""
        if self.state in (AgentState.JOINING, AgentState.LIVE):
            return
        self._leaving = False
        self._set_status(AgentState.JOINING)
        try:
            if self._agent is None:
                self._agent = await self._source.create_agent(
                    self.room_id, self.sample_rate, self.subscribe_mode
                )
            await self._connect(timeout_s)
        except VoicePanelError as exc:
            self._set_status(AgentState.DROPPED, exc.message)
            raise
        self._register_close_hook()
        if self._ticker is None or self._ticker.done():
            self._start_waker()
            self._ticker = asyncio.create_task(self._tick_loop(), name="local-agent-audio")

    async def rejoin(self, timeout_s: float = 15.0) -> None:
        """After a drop: reconnect with the same peer, or a new one if it was deleted."""
        await self._stop_connection()
        try:
            await self.join(timeout_s)
        except VoicePanelError:
            # The peer may be gone (deleted by someone, or the server restarted): join as a
            # new one, after removing the old one if it is still there.
            old, self._agent = self._agent, None
            if old is not None:
                with contextlib.suppress(VoicePanelError):
                    await self._source.delete_peer(self.room_id, old.id)
            await self.join(timeout_s)

    async def leave(self) -> None:
        """Disconnects, deletes the agent peer, closes devices and any recording."""
        self._leaving = True
        await self._stop_connection()
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        self.stop_recording()
        self.devices.close()
        self._stop_waker()
        agent, self._agent = self._agent, None
        if agent is not None:
            try:
                await self._source.delete_peer(self.room_id, agent.id)
            except VoicePanelError as exc:
                log.info("Agent peer %s was not deleted: %s", agent.id, exc)
        if self._remove_close_hook is not None:
            self._remove_close_hook()
            self._remove_close_hook = None
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        for task in list(self._side_tasks):
            task.cancel()
        self._set_status(AgentState.LEFT)

    async def _connect(self, timeout_s: float) -> None:
        assert self._agent is not None
        failure: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._connection = asyncio.create_task(
            self._run_connection(self._agent, failure), name="local-agent-socket"
        )
        try:
            error = await asyncio.wait_for(asyncio.shield(failure), timeout_s)
        except TimeoutError as exc:
            await self._stop_connection()
            raise VoicePanelError(
                f"Could not join room {self.room_id} as an agent: the server did not answer.",
                "Check that the server is reachable and try again.",
                cause=exc,
            ) from exc
        if error is not None:
            await self._stop_connection()
            raise _join_error(self.room_id, error)

    async def _run_connection(
        self, agent: Agent, ready: asyncio.Future[BaseException | None]
    ) -> None:
        reason = "The connection to the room closed."
        try:
            async with agent.connect() as session:
                self._session = session
                self._track = await session.add_track(
                    OutgoingAudioTrackOptions(
                        sample_rate=self.sample_rate,  # type: ignore[arg-type]
                        metadata={"source": "voicepanel-local-agent"},
                    )
                )
                self._set_status(AgentState.LIVE)
                ready.set_result(None)
                async for message in session.receive():
                    arrived = time.perf_counter()
                    data = getattr(message, "data", b"")
                    if not data:
                        continue
                    track = getattr(message, "track", None)
                    track_id = getattr(track, "id", "") if track is not None else ""
                    if self.room.receive(message.peer_id, track_id, data, arrived):
                        self._peer_appeared(message.peer_id)
                    if self._peer_late:
                        self._wake.set()  # the frame the speaker was waiting for
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any socket failure is a drop, with its reason
            if not ready.done():
                ready.set_result(exc)
                return
            reason = f"The connection to the room was lost ({type(exc).__name__}: {exc})."
        finally:
            self._session = None
            self._track = None
        if not ready.done():
            ready.set_result(ConnectionError("closed before it was ready"))
            return
        if not self._leaving:
            for peer in self.room.peers.values():
                peer.jitter.clear()
            self._set_status(AgentState.DROPPED, reason)
            self.on_error.emit(
                VoicePanelError(
                    f"The agent lost its connection to room {self.room_id}.",
                    "Choose Rejoin. If it keeps dropping, check the network or the server.",
                )
            )

    async def _stop_connection(self) -> None:
        task, self._connection = self._connection, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._session = None
        self._track = None

    def _register_close_hook(self) -> None:
        add_hook = getattr(self._source, "add_close_hook", None)
        if add_hook is not None and self._remove_close_hook is None:
            self._remove_close_hook = add_hook(self.leave)
        listen = getattr(self._source, "on_notification", None)
        if callable(listen) and self._stop_listening is None:
            self._stop_listening = listen(self._on_notification)

    # -- devices -------------------------------------------------------------------------

    def refresh_devices(self) -> DeviceInventory:
        """Re-lists devices. PortAudio can only re-enumerate with no stream open, so the
        open ones are closed and reopened on the same devices."""
        input_key, output_key = self._input_key, self._output_key
        had_input, had_output = self.devices.capture, self.devices.playback
        self.devices.close()
        self.inventory = list_devices(refresh=True)
        self._unavailable_reported = False
        if had_input is not None:
            self.set_input_device(input_key)
        if had_output is not None:
            self.set_output_device(output_key)
        self._announce_devices()
        return self.inventory

    def load_devices(self) -> DeviceInventory:
        self.inventory = list_devices()
        self._unavailable_reported = False
        return self.inventory

    def set_input_device(self, key: str | None) -> bool:
        """Opens the microphone remembered as ``key`` (None: system default). False and an
        on_error report when it cannot be opened; the agent carries on without it."""
        return self._open(DeviceKind.INPUT, key)

    def set_output_device(self, key: str | None) -> bool:
        return self._open(DeviceKind.OUTPUT, key)

    def disable_input(self) -> None:
        self.devices.close_input()
        self._announce_devices()

    def disable_output(self) -> None:
        self.devices.close_output()
        self.echo.set_output_device_name("")
        self._announce_devices()

    def _open(self, kind: DeviceKind, key: str | None) -> bool:
        if kind is DeviceKind.INPUT:
            self._input_key = key
        else:
            self._output_key = key
        if self.inventory.availability is not AudioAvailability.READY:
            self.inventory = list_devices()
        device = self.inventory.find(kind, key)
        what = "microphone" if kind is DeviceKind.INPUT else "speaker"
        if device is None:
            if self.inventory.availability is AudioAvailability.READY:
                self.on_error.emit(
                    VoicePanelError(
                        f"No {what} was found.",
                        f"Connect a {what} and choose Refresh devices. You are still in the room.",
                    )
                )
            elif not self._unavailable_reported:
                # One message for "no audio at all", not one per device.
                self._unavailable_reported = True
                self.on_error.emit(VoicePanelError(self.inventory.message, self.inventory.hint))
            self._announce_devices()
            return False
        try:
            if kind is DeviceKind.INPUT:
                self.devices.open_input(device)
            else:
                self.devices.open_output(device)
        except VoicePanelError as exc:
            self.on_error.emit(exc)
            self._announce_devices()
            return False
        if kind is DeviceKind.OUTPUT:
            self.echo.set_output_device_name(device.name)
        self._hint_echo_delay()
        # Another microphone or speaker is another echo path: learn it afresh.
        self.echo.devices_changed()
        self._announce_devices()
        return True

    def _hint_echo_delay(self) -> None:
        """Tells the canceller roughly how late the speaker's sound reaches the microphone:
        the speaker's queue and latency, then the microphone's (it finds the rest)."""
        capture, playback = self.devices.capture, self.devices.playback
        if capture is None or playback is None:
            return
        self.echo.set_stream_delay_ms(
            stream_delay_ms(
                capture.latency_s, playback.latency_s, output_buffered_s=self.devices.lead_s
            )
        )

    def _announce_devices(self) -> None:
        self.on_devices.emit(self.device_status())

    # -- what the user does --------------------------------------------------------------

    def play_file(self, path: Path | str, loop: bool = False) -> None:
        """A WAV file stands in for the microphone, once or looped."""
        self.uplink.play_file(read_wav_at(path, self.sample_rate), loop)

    def stop_file(self) -> None:
        self.uplink.stop_file()

    @property
    def playing_file(self) -> bool:
        return self.uplink.file is not None

    def set_muted(self, muted: bool) -> None:
        self.uplink.controls.muted = muted

    def set_push_to_talk(self, enabled: bool) -> None:
        self.uplink.controls.push_to_talk = enabled

    def set_talk_held(self, held: bool) -> None:
        self.uplink.controls.talk_held = held

    def set_input_gain(self, gain: float) -> None:
        self.uplink.controls.gain = max(0.0, gain)

    def set_master_volume(self, volume: float) -> None:
        self.room.mixer.master_volume = max(0.0, volume)

    def set_peer_gain(self, peer_id: str, gain: float) -> None:
        self.room.mixer.set_gain(peer_id, gain)

    def set_peer_muted(self, peer_id: str, muted: bool) -> None:
        self.room.mixer.set_muted(peer_id, muted)

    def set_echo_mode(self, mode: EchoMode) -> None:
        """Cancel (full duplex), half-duplex (the mic is held back while the room talks)
        or off (a headset needs nothing)."""
        self.echo.set_mode(mode)

    def set_echo_stages(self, **stages: bool) -> None:
        """E.g. ``set_echo_stages(ns=False, agc=True)``: noise suppression, high-pass
        filter, automatic gain control, echo cancellation itself."""
        self.echo.set_stages(**stages)

    async def interrupt(self) -> None:
        """Drops what this agent sent that the room has not played yet, and the file."""
        self.uplink.stop_file()
        track = self._track
        if track is not None:
            try:
                await track.interrupt()
            except Exception as exc:
                self.on_error.emit(
                    VoicePanelError(
                        "Could not interrupt the agent's audio.",
                        "The connection may have dropped; rejoin the room.",
                        cause=exc,
                    )
                )

    def start_recording(self, folder: Path | str) -> CallRecording:
        self.stop_recording()
        try:
            self.recording = CallRecording(folder, self.sample_rate, self.frame_size)
        except OSError as exc:
            raise VoicePanelError(
                f"Could not start recording in {folder}.",
                "Choose a folder you can write to.",
                cause=exc,
            ) from exc
        return self.recording

    def stop_recording(self) -> list[Path]:
        recording, self.recording = self.recording, None
        if recording is None:
            return []
        recording.close()
        return recording.paths

    # -- the audio loop ------------------------------------------------------------------

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
        for stream in (self.devices.capture, self.devices.playback):
            if stream is not None:
                stream.waker = waker

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
        """Until a device callback completes a block (or a late peer frame arrives), or
        the timer runs out."""
        paced = (
            self._waker is not None
            and self.devices.capture is not None
            and self.devices.playback is not None
            and self.uplink.file is None
        )
        if not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_TICK_S if paced else TICK_S):
                    await self._wake.wait()
        self._wake.clear()

    async def _tick_loop(self) -> None:
        next_levels = next_check = next_failure_log = time.perf_counter()
        while True:
            try:
                # One pass of the loop first: after a stall, socket data read in this same
                # iteration reaches the jitter buffers before they are pulled, so a late
                # tick is not mistaken for a network underrun.
                await asyncio.sleep(0)
                now = time.perf_counter()
                if now >= next_check:
                    next_check = now + DEVICE_CHECK_EVERY_S
                    self._check_devices()
                await self._send_local(now)
                self._play_room()
                if now >= next_levels:
                    next_levels = now + LEVELS_EVERY_S
                    self.on_levels.emit(self.levels())
            except asyncio.CancelledError:
                raise
            except Exception:
                # One bad tick (a full disk under the recorder...) must not stop the audio;
                # a failure that repeats every tick is logged every few seconds, not 100/s.
                if time.perf_counter() >= next_failure_log:
                    next_failure_log = time.perf_counter() + 5.0
                    log.exception("Local agent audio tick failed")
            await self._wait_for_wake()

    def _check_devices(self) -> None:
        lost = self.devices.check()
        for kind, error in lost:
            self.on_error.emit(error)
            if kind is DeviceKind.OUTPUT:
                self.echo.set_output_device_name("")
        if lost:
            self._announce_devices()
        self._hint_echo_delay()

    async def _send_local(self, now: float) -> None:
        captured = self.devices.read_input()
        frames = self.uplink.pull(captured, now)
        capture = self.devices.capture
        for i, frame in enumerate(frames):
            turn = self.latency.local(frame.samples, frame.at, self.frame_s)
            if turn is not None:
                self.on_turn.emit(turn)
            if self.recording is not None:
                self.recording.write_local(frame.samples)
            track = self._track
            if frame.live and track is not None and self.state is AgentState.LIVE:
                try:
                    await track.send_chunk(to_pcm16(frame.samples))
                except Exception:
                    continue  # the receive loop reports the drop
                if (
                    self.probe is not None
                    and captured is not None
                    and capture is not None
                    and self.uplink.file is None
                ):
                    behind = (len(frames) - 1 - i) * self.frame_size + self.uplink.pending
                    position = captured.end_position - int(
                        behind * captured.device_rate / self.sample_rate
                    )
                    self.probe.sent(capture.stamps, position)

    def _play_room(self) -> None:
        self._peer_late = False
        playback = self.devices.playback
        if self.probe is not None and playback is not None:
            self.probe.resolve(playback.stamps)
        for _ in range(self.devices.frames_due()):
            if (
                playback is not None
                and not self.room.ready()
                and self.devices.output_queued_s() >= self.frame_s
            ):
                # A peer's next frame is late but the speaker still has audio queued: let
                # that queue shrink for now rather than play a gap; its arrival wakes us.
                self._peer_late = True
                break
            mixed = self.room.next_frame()
            heard_at = time.perf_counter() + self.devices.output_delay_s()
            if self.probe is not None and playback is not None:
                self.probe.mixed(
                    playback.ring.written,
                    mixed.oldest_arrival,
                    mixed.queued_s + playback.ring.available / playback.rate,
                )
            self.devices.write_output(mixed.mix)
            if playback is not None:
                # Silence too: the canceller counts speaker and microphone frames in step.
                self.echo.far(mixed.mix)
            if self.far_end_tap is not None:
                self.far_end_tap(mixed.mix)
            turn = self.latency.remote(mixed.mix, heard_at, self.frame_s)
            if turn is not None:
                self.on_turn.emit(turn)
            if self.recording is not None:
                self.recording.write_room(mixed.mix, mixed.peers)

    # -- helpers -------------------------------------------------------------------------

    def _peer_appeared(self, peer_id: str) -> None:
        kind = self._lookup_kind(peer_id)
        self.peer_kinds[peer_id] = kind
        if kind == "peer" and hasattr(self._source, "get_room"):
            task = asyncio.create_task(self._fetch_kinds(), name="local-agent-peer-kinds")
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
        self.on_peers.emit(tuple(self.room.peers))

    async def _fetch_kinds(self) -> None:
        try:
            room = await self._source.get_room(self.room_id)  # type: ignore[attr-defined]
        except Exception:
            return  # only a label: the strip says "peer" until the next try
        for peer in getattr(room, "peers", ()):
            if peer.id in self.peer_kinds:
                self.peer_kinds[peer.id] = str(peer.type)

    def _on_notification(self, n: Any) -> None:
        """A remote peer that left the room loses its strip and its buffer."""
        if getattr(n, "room_id", None) != self.room_id:
            return
        if getattr(n, "kind", "") in ("PeerDeleted", "PeerDisconnected", "PeerCrashed"):
            peer_id = getattr(n, "peer_id", None)
            if peer_id and peer_id in self.room.peers:
                self.room.remove(peer_id)
                self.on_peers.emit(tuple(self.room.peers))

    def _lookup_kind(self, peer_id: str) -> str:
        tree: Any = getattr(self._source, "tree", None)
        rooms = getattr(tree, "rooms", None)
        if isinstance(rooms, dict):
            room = rooms.get(self.room_id)
            peer = getattr(room, "peers", {}).get(peer_id) if room is not None else None
            if peer is not None:
                return str(getattr(peer, "type", "peer"))
        return "peer"

    def _strip(self, snap: PeerSnapshot) -> PeerStrip:
        j = snap.jitter
        return PeerStrip(
            snap.peer_id,
            self.peer_kinds.get(snap.peer_id, "peer"),
            snap.level,
            snap.gain,
            snap.muted,
            j.underruns,
            j.overruns,
            j.depth_ms,
            j.target_ms,
        )

    def _set_status(self, state: AgentState, reason: str | None = None) -> None:
        self.status = AgentStatus(state, reason, self.peer_id)
        self.on_status.emit(self.status)


def _join_error(room_id: str, exc: BaseException) -> VoicePanelError:
    if isinstance(exc, VoicePanelError):
        return exc
    if isinstance(exc, AgentAuthError):
        return VoicePanelError(
            f"Could not join room {room_id} as an agent: the server refused the agent.",
            "The room or the agent peer may have been deleted; join again.",
            cause=exc,
        )
    return VoicePanelError(
        f"Could not join room {room_id} as an agent ({type(exc).__name__}).",
        "Check that the server is reachable and try again.",
        cause=exc,
    )
