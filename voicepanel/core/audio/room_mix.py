"""What the room sounds like here: one jitter buffer and meter per remote peer, mixed
frame by frame with each peer's gain and mute and the master volume.

Frames are received on the audio loop (``receive``) and mixed by the speaker's callback
(``mix_into``), as a bare script does, so a frame that arrives is heard at the very next
block instead of a block later. The mix works on preallocated buffers (no allocation, no
lock, no I/O); what it played goes into ``played`` (and each peer's stem while recording)
for the audio loop to hand to echo cancellation, the latency meter and the recorder.
Without a speaker the audio loop calls ``mix_into`` itself on a wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from voicepanel.core.audio.jitter import JitterBuffer, JitterConfig, JitterStats
from voicepanel.core.audio.meters import Level, LevelMeter
from voicepanel.core.audio.mixer import ChannelControl, Mixer
from voicepanel.core.audio.ringbuffer import RingBuffer, Samples
from voicepanel.core.audio.timing import StampLog

PCM16_SCALE = np.float32(1.0 / 32768.0)


@dataclass
class RemotePeer:
    peer_id: str
    jitter: JitterBuffer
    control: ChannelControl
    meter: LevelMeter = field(default_factory=LevelMeter)
    tracks: set[str] = field(default_factory=set)
    odd_byte: bytes = b""
    stem: RingBuffer | None = None
    """This peer's frames as played (before gain), while recording."""


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
        """Per-peer gain and mute, and the master volume (set from any thread)."""
        self.peers: dict[str, RemotePeer] = {}
        self._playing: tuple[RemotePeer, ...] = ()
        """What the consumer iterates: replaced whole, never mutated, so the callback
        never sees a dict change size under it."""
        self._mix: Samples = np.zeros(frame_size, dtype=np.float32)
        self._scratch: Samples = np.zeros(frame_size, dtype=np.float32)
        self.played = RingBuffer(rate * 2)
        """Every mixed frame, for the audio loop (far end of echo control, latency, recording)."""
        self.played_stamps = StampLog(256)
        """(``played`` position after a frame, when it was mixed)."""
        self.recording = False

    # -- audio loop ----------------------------------------------------------------------

    def receive(self, peer_id: str, track_id: str, data: bytes, arrived_at: float) -> bool:
        """Queue a chunk from the socket. True when the peer is new."""
        peer = self.peers.get(peer_id)
        is_new = peer is None
        if peer is None:
            peer = self._add(peer_id)
        if track_id not in peer.tracks:
            peer.tracks.add(track_id)
        if peer.odd_byte or len(data) % 2:
            # Chunks may split a sample between them; keep the odd byte for the next one.
            data = peer.odd_byte + data
            peer.odd_byte = data[-1:] if len(data) % 2 else b""
            data = data[: len(data) - len(peer.odd_byte)]
        if data:
            # One pass, one array: int16 times a float32 scalar is float32.
            samples = np.multiply(np.frombuffer(data, dtype="<i2"), PCM16_SCALE)
            peer.jitter.push(samples, arrived_at)
            control = peer.control
            if not control.muted:
                peer.meter.update(samples)
        return is_new

    def remove(self, peer_id: str) -> None:
        if self.peers.pop(peer_id, None) is not None:
            self._playing = tuple(self.peers.values())
        self.mixer.remove(peer_id)

    def clear(self) -> None:
        """Forget every peer's queued audio (the connection dropped)."""
        for peer in self._playing:
            peer.jitter.clear()

    def start_stems(self) -> None:
        for peer in self._playing:
            peer.stem = RingBuffer(self.rate * 2)
        self.recording = True

    def stop_stems(self) -> None:
        self.recording = False
        for peer in self._playing:
            peer.stem = None

    def _add(self, peer_id: str) -> RemotePeer:
        peer = RemotePeer(
            peer_id,
            JitterBuffer(JitterConfig(self.frame_size), self.rate),
            self.mixer.channel(peer_id),
        )
        if self.recording:
            peer.stem = RingBuffer(self.rate * 2)
        self.peers[peer_id] = peer
        self._playing = tuple(self.peers.values())
        return peer

    def snapshot(self) -> list[PeerSnapshot]:
        """Levels since the previous snapshot and the counters, for the ~30 Hz UI push."""
        return [
            PeerSnapshot(
                peer.peer_id,
                peer.meter.take(),
                peer.control.gain,
                peer.control.muted,
                peer.jitter.stats(),
            )
            for peer in self._playing
        ]

    # -- consumer: the speaker's callback (or the loop's clock) --------------------------

    def mix_into(self, out: Samples, now: float) -> None:
        """The next frame of the room into ``out`` (``frame_size`` samples)."""
        mix, scratch = self._mix, self._scratch
        mix.fill(0.0)
        recording = self.recording
        for peer in self._playing:
            got = peer.jitter.pull_into(scratch, now)
            stem = peer.stem
            if not got:
                if recording and stem is not None:
                    stem.write_zeros(len(scratch))
                continue
            if recording and stem is not None:
                stem.write(scratch)
            control = peer.control
            gain = control.gain
            if control.muted or gain == 0.0:
                continue  # consumed (it stays in time), not mixed
            if gain != 1.0:
                np.multiply(scratch, np.float32(gain), out=scratch)
            np.add(mix, scratch, out=mix)
        volume = self.mixer.master_volume
        if volume != 1.0:
            np.multiply(mix, np.float32(volume), out=mix)
        np.clip(mix, -1.0, 1.0, out=out)
        self.played.write(out)
        self.played_stamps.mark(self.played.written, now)
