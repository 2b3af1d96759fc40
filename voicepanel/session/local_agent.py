"""LocalAgent: this computer joins a room as a Fishjam agent peer.

This module owns the agent's lifecycle (join, leave, rejoin after a drop, leaving when its
workspace closes) and is what the window talks to. The audio itself (the socket's frames,
jitter buffers, mixing, echo control, meters, the uplink) is an ``AudioEngine`` on the
process's audio loop, a thread of its own, so nothing heard waits on the window; what it
reports comes back to the caller's loop here and out through plain callbacks. Device
choice is ``AgentDevices``; who the other peers are is ``PeerDirectory``.

Joining is a task the agent owns: ``leave`` (or the window closing) during a join cancels
it and deletes any peer created meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from fishjam.agent import Agent

from voicepanel.core.agent_link import AgentLink
from voicepanel.core.audio.audio_file import read_audio_at
from voicepanel.core.audio.audio_thread import AudioThread, audio_thread
from voicepanel.core.audio.device_io import DeviceAudio
from voicepanel.core.audio.devices import DeviceInventory, DeviceKind
from voicepanel.core.audio.echo import EchoControl, EchoMode
from voicepanel.core.audio.engine import AudioEngine, EngineLevels
from voicepanel.core.audio.latency import LatencySummary, Turn, TurnLatencyMeter
from voicepanel.core.audio.meters import Level
from voicepanel.core.audio.probe import PipelineProbe
from voicepanel.core.audio.recording import CallRecording
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.room_mix import RoomMix
from voicepanel.core.audio.uplink import Uplink
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import RoomInfo
from voicepanel.core.notifications import Notification
from voicepanel.session.agent_devices import AgentDevices
from voicepanel.session.agent_peers import PeerDirectory, PeerTree
from voicepanel.session.agent_status import (
    AgentLevels,
    AgentState,
    AgentStatus,
    DeviceStatus,
    PeerStrip,
)
from voicepanel.session.observable import Callbacks

__all__ = [
    "AgentGateway",
    "AgentHost",
    "AgentLevels",
    "AgentState",
    "AgentStatus",
    "DeviceStatus",
    "LocalAgent",
    "PeerStrip",
]

log = logging.getLogger(__name__)


class AgentGateway(Protocol):
    """What any agent needs: a Workspace or a FishjamGateway."""

    async def create_agent(
        self, room_id: str, sample_rate: int = 16000, subscribe_mode: str = "auto"
    ) -> Agent: ...

    async def delete_peer(self, room_id: str, peer_id: str) -> None: ...

    async def get_room(self, room_id: str) -> RoomInfo: ...


class AgentHost(AgentGateway, Protocol):
    """What an agent in a workspace uses beyond that (a Workspace)."""

    @property
    def tree(self) -> PeerTree: ...

    def on_notification(self, callback: Callable[[Notification], None]) -> Callable[[], None]: ...

    def add_close_hook(self, hook: Callable[[], Awaitable[None]]) -> Callable[[], None]: ...


class LocalAgent:
    def __init__(
        self,
        gateway: AgentGateway,
        room_id: str,
        sample_rate: int = 16000,
        *,
        subscribe_mode: str = "auto",
        host: AgentHost | None = None,
        audio: AudioThread | None = None,
    ) -> None:
        self._gateway = gateway
        self._host = host
        self.room_id = room_id
        self.sample_rate = sample_rate
        self.subscribe_mode = subscribe_mode
        self._audio = audio or audio_thread()
        self.engine = AudioEngine(sample_rate, _Relay(self))
        self.frame_size = self.engine.frame_size
        self.frame_s = self.engine.frame_s
        self.status = AgentStatus(AgentState.IDLE)

        self.on_status: Callbacks[AgentStatus] = Callbacks("agent status")
        self.on_levels: Callbacks[AgentLevels] = Callbacks("agent levels")
        self.on_turn: Callbacks[Turn] = Callbacks("latency turn")
        self.on_error: Callbacks[VoicePanelError] = Callbacks("agent error")
        self.on_devices: Callbacks[DeviceStatus] = Callbacks("agent devices")
        self.on_peers: Callbacks[tuple[str, ...]] = Callbacks("agent peers")

        self.device_choice = AgentDevices(
            self.engine, self._audio, self.on_error.emit, self.on_devices.emit
        )
        self.peers = PeerDirectory(
            room_id, gateway, host.tree if host is not None else None, self._peer_left
        )
        self._agent: Agent | None = None
        self._link: AgentLink | None = None
        self._join_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._leaving = False
        self._host_closed = False
        self._unhook: list[Callable[[], None]] = []
        self._levels = AgentLevels(Level(), False, ())

    @classmethod
    def in_workspace(
        cls, workspace: AgentHost, room_id: str, sample_rate: int = 16000
    ) -> LocalAgent:
        """An agent of this workspace: it leaves when the workspace closes, names peers
        from its room tree and drops the strips of peers that leave the room."""
        return cls(workspace, room_id, sample_rate, host=workspace)

    # -- observable state ----------------------------------------------------------------

    @property
    def state(self) -> AgentState:
        return self.status.state

    @property
    def peer_id(self) -> str | None:
        return self._agent.id if self._agent is not None else None

    @property
    def turns(self) -> list[Turn]:
        return list(self.engine.latency.turns)

    def latency_summary(self) -> LatencySummary:
        return self.engine.latency.summary()

    def levels(self) -> AgentLevels:
        """The latest levels (the audio loop takes them at ~30 Hz)."""
        return self._to_levels(self.engine.latest)

    def device_status(self) -> DeviceStatus:
        return self.device_choice.status()

    @property
    def inventory(self) -> DeviceInventory:
        return self.device_choice.inventory

    @property
    def peer_kinds(self) -> dict[str, str]:
        return self.peers.kinds

    # The engine's parts, for tests, benchmarks and the echo box (read, or set flags).
    @property
    def devices(self) -> DeviceAudio:
        return self.engine.devices

    @property
    def uplink(self) -> Uplink:
        return self.engine.uplink

    @property
    def room(self) -> RoomMix:
        return self.engine.room

    @property
    def echo(self) -> EchoControl:
        return self.engine.echo

    @property
    def latency(self) -> TurnLatencyMeter:
        return self.engine.latency

    @property
    def probe(self) -> PipelineProbe | None:
        return self.engine.probe

    @probe.setter
    def probe(self, probe: PipelineProbe | None) -> None:
        self.engine.probe = probe

    @property
    def far_end_tap(self) -> Callable[[Samples], None] | None:
        return self.engine.far_end_tap

    @far_end_tap.setter
    def far_end_tap(self, tap: Callable[[Samples], None] | None) -> None:
        self.engine.far_end_tap = tap

    @property
    def link(self) -> AgentLink | None:
        return self._link

    # -- joining and leaving -------------------------------------------------------------

    async def join(self, timeout_s: float = 15.0) -> None:
        """Creates the agent peer, connects and adds the outgoing track. Raises
        VoicePanelError when the room cannot be joined, CancelledError when ``leave``
        cancelled the join."""
        if self._host_closed:
            raise _host_closed_error()
        task = self._join_task
        if task is None or task.done():
            if self.state is AgentState.LIVE:
                return
            task = self._join_task = asyncio.create_task(self._join(timeout_s), name="agent-join")
        # Shielded: only the agent (leave) cancels its join, not whoever awaits it.
        await asyncio.shield(task)

    async def _join(self, timeout_s: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._leaving = False
        self.device_choice.closed = False
        self._set_status(AgentState.JOINING)
        try:
            if self._agent is None:
                self._agent = await self._create_peer()
            link = AgentLink(
                self._agent, self.room_id, self.sample_rate, self.engine.receive, self._relay_lost
            )
            await self._audio.call(self._open_link(link, timeout_s))
        except VoicePanelError as exc:
            self._set_status(AgentState.DROPPED, exc.message)
            raise
        self._link = link
        self._hook_into_host()
        self._set_status(AgentState.LIVE)

    async def _create_peer(self) -> Agent:
        creating = asyncio.ensure_future(
            self._gateway.create_agent(self.room_id, self.sample_rate, self.subscribe_mode)
        )
        try:
            return await asyncio.shield(creating)
        except asyncio.CancelledError:
            # The server may create it anyway (the request is already out): remove it
            # before the cancellation goes on, so the room has no agent left behind.
            with contextlib.suppress(Exception):
                agent = await creating
                await self._gateway.delete_peer(self.room_id, agent.id)
            raise

    async def _open_link(self, link: AgentLink, timeout_s: float) -> None:
        """On the audio loop: connect, then start the engine's loop."""
        await link.open(timeout_s)
        self.engine.link = link
        self.engine.start()

    async def rejoin(self, timeout_s: float = 15.0) -> None:
        """After a drop: reconnect with the same peer, or a new one if it was deleted."""
        await self._close_link()
        try:
            await self.join(timeout_s)
        except VoicePanelError:
            # The peer may be gone (deleted by someone, or the server restarted): join as a
            # new one, after removing the old one if it is still there.
            old, self._agent = self._agent, None
            if old is not None:
                with contextlib.suppress(VoicePanelError):
                    await self._gateway.delete_peer(self.room_id, old.id)
            await self.join(timeout_s)

    async def leave(self) -> None:
        """Cancels a join under way, disconnects, deletes the agent peer (any created
        meanwhile too), closes devices and any recording."""
        self._leaving = True
        self.device_choice.closed = True
        join, self._join_task = self._join_task, None
        if join is not None and not join.done():
            join.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await join
        await self._close_link()
        await self._audio.call(self.engine.stop())
        agent, self._agent = self._agent, None
        if agent is not None:
            try:
                await self._gateway.delete_peer(self.room_id, agent.id)
            except VoicePanelError as exc:
                log.info("Agent peer %s was not deleted: %s", agent.id, exc)
        for unhook in self._unhook:
            unhook()
        self._unhook.clear()
        self.peers.close()
        self._set_status(AgentState.LEFT)

    async def _close_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await self._audio.call(self._drop_link(link))

    async def _drop_link(self, link: AgentLink) -> None:
        if self.engine.link is link:
            self.engine.link = None
        await link.close()

    def _hook_into_host(self) -> None:
        host = self._host
        if host is None or self._unhook:
            return
        self._unhook.append(host.add_close_hook(self._host_closing))
        self._unhook.append(host.on_notification(self.peers.notification))

    async def _host_closing(self) -> None:
        self._host_closed = True
        await self.leave()

    # -- devices -------------------------------------------------------------------------

    async def load_devices(self, refresh: bool = False) -> DeviceInventory:
        return await self.device_choice.load(refresh)

    async def set_input_device(self, key: str | None = None) -> bool:
        return await self.device_choice.choose(DeviceKind.INPUT, key)

    async def set_output_device(self, key: str | None = None) -> bool:
        return await self.device_choice.choose(DeviceKind.OUTPUT, key)

    async def disable_input(self) -> None:
        await self.device_choice.disable(DeviceKind.INPUT)

    async def disable_output(self) -> None:
        await self.device_choice.disable(DeviceKind.OUTPUT)

    # -- what the user does --------------------------------------------------------------

    async def play_file(self, path: Path | str, loop: bool = False) -> None:
        """An audio file (WAV, FLAC, OGG...) stands in for the microphone, once or looped."""
        samples = await asyncio.to_thread(read_audio_at, path, self.sample_rate)
        self._audio.post(self.engine.uplink.play_file, samples, loop)

    def stop_file(self) -> None:
        self._audio.post(self.engine.uplink.stop_file)

    @property
    def playing_file(self) -> bool:
        return self.engine.uplink.file is not None

    def set_muted(self, muted: bool) -> None:
        self.engine.uplink.controls.muted = muted

    def set_push_to_talk(self, enabled: bool) -> None:
        self.engine.uplink.controls.push_to_talk = enabled

    def set_talk_held(self, held: bool) -> None:
        self.engine.uplink.controls.talk_held = held

    def set_input_gain(self, gain: float) -> None:
        self.engine.uplink.controls.gain = max(0.0, gain)

    def set_master_volume(self, volume: float) -> None:
        self.engine.room.mixer.master_volume = max(0.0, volume)

    def set_peer_gain(self, peer_id: str, gain: float) -> None:
        self.engine.room.mixer.set_gain(peer_id, gain)

    def set_peer_muted(self, peer_id: str, muted: bool) -> None:
        self.engine.room.mixer.set_muted(peer_id, muted)

    def set_echo_mode(self, mode: EchoMode) -> None:
        """Cancel (full duplex), half-duplex (the mic is held back while the room talks)
        or off (a headset needs nothing)."""
        self._audio.post(self.engine.echo.set_mode, mode)

    def set_echo_stages(self, **stages: bool) -> None:
        """E.g. ``set_echo_stages(ns=False, agc=True)``: noise suppression, high-pass
        filter, automatic gain control, echo cancellation itself."""
        self._audio.post(lambda: self.engine.echo.set_stages(**stages))

    async def interrupt(self) -> None:
        """Drops what this agent sent that the room has not played yet, and the file."""
        self.stop_file()
        link = self._link
        if link is None:
            return
        try:
            await self._audio.call(link.interrupt())
        except Exception as exc:
            self.on_error.emit(
                VoicePanelError(
                    "Could not interrupt the agent's audio.",
                    "The connection may have dropped; rejoin the room.",
                    cause=exc,
                )
            )

    async def start_recording(self, folder: Path | str) -> CallRecording:
        try:
            recording = await asyncio.to_thread(
                CallRecording, folder, self.sample_rate, self.frame_size
            )
        except OSError as exc:
            raise VoicePanelError(
                f"Could not start recording in {folder}.",
                "Choose a folder you can write to.",
                cause=exc,
            ) from exc
        self._audio.post(self.engine.start_recording, recording)
        return recording

    async def stop_recording(self) -> list[Path]:
        return await self._audio.call(_stop_recording(self.engine))

    # -- from the audio loop -------------------------------------------------------------

    def _relay_lost(self, reason: str) -> None:
        self._to_caller(self._lost, reason)

    def _lost(self, reason: str) -> None:
        if self._leaving:
            return
        self._link = None
        self._audio.post(self.engine.room.clear)
        self._set_status(AgentState.DROPPED, reason)
        self.on_error.emit(
            VoicePanelError(
                f"The agent lost its connection to room {self.room_id}.",
                "Choose Rejoin. If it keeps dropping, check the network or the server.",
            )
        )

    def _to_caller(self, fn: Callable[..., object], *args: object) -> None:
        """Runs ``fn`` on the loop that joined (the window's), from the audio loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # that loop is shutting down
            loop.call_soon_threadsafe(fn, *args)

    def _peer_appeared(self, peer_id: str) -> None:
        self.peers.appeared(peer_id)
        self.on_peers.emit(tuple(self.engine.room.peers))

    def _peer_left(self, peer_id: str) -> None:
        self._audio.post(self.engine.room.remove, peer_id)
        self.on_peers.emit(tuple(p for p in self.engine.room.peers if p != peer_id))

    def _deliver_levels(self, levels: EngineLevels) -> None:
        self.on_levels.emit(self._to_levels(levels))

    def _to_levels(self, levels: EngineLevels) -> AgentLevels:
        kind = self.peers.kind
        return AgentLevels(
            levels.input,
            levels.transmitting,
            tuple(
                PeerStrip(
                    s.peer_id,
                    kind(s.peer_id),
                    s.level,
                    s.gain,
                    s.muted,
                    s.jitter.underruns,
                    s.jitter.overruns,
                    s.jitter.depth_ms,
                    s.jitter.target_ms,
                )
                for s in levels.peers
            ),
            levels.echo,
        )

    def _set_status(self, state: AgentState, reason: str | None = None) -> None:
        if state is AgentState.LEFT and self._host_closed:
            reason = reason or "The profile was closed."
        self.status = AgentStatus(state, reason, self.peer_id, self._host_closed)
        self.on_status.emit(self.status)


class _Relay:
    """The engine's reports, carried from the audio loop to the agent's loop. Levels are
    coalesced: at most one delivery waits at a time, so a stalled window finds the newest
    reading when it wakes, never a backlog."""

    def __init__(self, agent: LocalAgent) -> None:
        self._agent = agent
        self._levels_waiting = False
        self._newest: EngineLevels | None = None

    def levels(self, levels: EngineLevels) -> None:
        self._newest = levels
        if not self._agent.on_levels:
            return  # nobody shows them (``levels()`` still reads the newest)
        if not self._levels_waiting:
            self._levels_waiting = True
            self._agent._to_caller(self._deliver)

    def _deliver(self) -> None:
        self._levels_waiting = False
        if self._newest is not None:
            self._agent._deliver_levels(self._newest)

    def turn(self, turn: Turn) -> None:
        self._agent._to_caller(self._agent.on_turn.emit, turn)

    def error(self, error: VoicePanelError) -> None:
        self._agent._to_caller(self._agent.on_error.emit, error)

    def devices_changed(self) -> None:
        self._agent._to_caller(lambda: self._agent.on_devices.emit(self._agent.device_status()))

    def peer_appeared(self, peer_id: str) -> None:
        self._agent._to_caller(self._agent._peer_appeared, peer_id)


async def _stop_recording(engine: AudioEngine) -> list[Path]:
    return engine.stop_recording()


def _host_closed_error() -> VoicePanelError:
    return VoicePanelError(
        "This agent's profile was closed.",
        "Open the profile again and choose Join as agent.",
    )
