"""What the room sounds like here: one jitter buffer and meter per remote peer, mixed
frame by frame with each peer's gain and mute and the master volume."""

from __future__ import annotations

from dataclasses import dataclass, field

from voicepanel.core.audio.jitter import JitterBuffer, JitterConfig, JitterState, JitterStats
from voicepanel.core.audio.meters import Level, LevelMeter
from voicepanel.core.audio.mixer import Mixer
from voicepanel.core.audio.pcm import from_pcm16
from voicepanel.core.audio.ringbuffer import Samples


@dataclass
class RemotePeer:
    peer_id: str
    jitter: JitterBuffer
    meter: LevelMeter = field(default_factory=LevelMeter)
    tracks: set[str] = field(default_factory=set)
    odd_byte: bytes = b""


@dataclass(frozen=True)
class MixedFrame:
    mix: Samples
    peers: dict[str, Samples]
    """Each peer's frame before gain, for its recording stem (only peers that played)."""
    oldest_arrival: float | None
    """When the oldest audio in this frame came off the socket (perf_counter)."""
    queued_s: float = 0.0
    """Audio queued ahead of that oldest chunk in its jitter buffer when it arrived."""


@dataclass(frozen=True)
class PeerSnapshot:
    peer_id: str
    level: Level
    gain: float
    muted: bool
    jitter: JitterStats


class RoomMix:
    def __init__(self, rate: int, frame_size: int) -> None:
        self.rate = rate
        self.frame_size = frame_size
        self.mixer = Mixer(frame_size)
        self.peers: dict[str, RemotePeer] = {}

    def peer(self, peer_id: str) -> RemotePeer:
        found = self.peers.get(peer_id)
        if found is None:
            found = RemotePeer(peer_id, JitterBuffer(JitterConfig(self.frame_size), self.rate))
            self.peers[peer_id] = found
        return found

    def receive(self, peer_id: str, track_id: str, data: bytes, arrived_at: float) -> bool:
        """Queue a chunk from the socket. True when the peer is new."""
        is_new = peer_id not in self.peers
        peer = self.peer(peer_id)
        peer.tracks.add(track_id)
        pcm = peer.odd_byte + data
        # Chunks may split a sample between them; keep the odd byte for the next one.
        peer.odd_byte = pcm[-1:] if len(pcm) % 2 else b""
        samples = from_pcm16(pcm)
        if len(samples):
            peer.jitter.push(samples, arrived_at)
        return is_new

    def remove(self, peer_id: str) -> None:
        self.peers.pop(peer_id, None)
        self.mixer.remove(peer_id)

    def ready(self) -> bool:
        """Every peer that is playing has a whole frame queued."""
        return all(
            p.jitter.depth >= self.frame_size
            for p in self.peers.values()
            if p.jitter.state is JitterState.PLAYING
        )

    def next_frame(self) -> MixedFrame:
        frames: dict[str, Samples] = {}
        oldest: float | None = None
        queued = 0.0
        for peer_id, peer in self.peers.items():
            frame = peer.jitter.pull()
            if frame is None:
                continue
            frames[peer_id] = frame
            peer.meter.update(frame)
            arrival = peer.jitter.last_frame_arrival
            if arrival is not None and (oldest is None or arrival < oldest):
                oldest = arrival
                queued = peer.jitter.last_frame_queued_s
        return MixedFrame(self.mixer.mix(frames), frames, oldest, queued)

    def snapshot(self) -> list[PeerSnapshot]:
        """Levels since the previous snapshot and the counters, for the ~30 Hz UI push."""
        out = []
        for peer_id, peer in self.peers.items():
            ctl = self.mixer.channel(peer_id)
            out.append(
                PeerSnapshot(peer_id, peer.meter.take(), ctl.gain, ctl.muted, peer.jitter.stats())
            )
        return out
