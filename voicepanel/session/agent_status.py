"""The values the local agent reports to the window: its state, its levels (with one
strip per remote peer) and which devices it has open."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from voicepanel.core.audio.devices import AudioAvailability
from voicepanel.core.audio.echo import EchoStatus
from voicepanel.core.audio.meters import Level


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
    host_closed: bool = False
    """The workspace it belonged to closed (its profile was switched or closed): the
    agent cannot rejoin, and its window closes."""


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
    busy: bool = False
    """A device is being opened or the list re-read (the window shows it as busy)."""
