"""Per-peer gain and mute and the master volume: what the person sets, read by the mix
(``RoomMix.mix_into``) on the speaker's thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChannelControl:
    gain: float = 1.0
    """Linear gain, 0..2 (the UI's 0..200 %)."""
    muted: bool = False


class Mixer:
    def __init__(self, frame_size: int) -> None:
        self.frame_size = frame_size
        self.master_volume = 1.0
        self.channels: dict[str, ChannelControl] = {}

    def channel(self, peer_id: str) -> ChannelControl:
        return self.channels.setdefault(peer_id, ChannelControl())

    def set_gain(self, peer_id: str, gain: float) -> None:
        self.channel(peer_id).gain = max(0.0, float(gain))

    def set_muted(self, peer_id: str, muted: bool) -> None:
        self.channel(peer_id).muted = muted

    def remove(self, peer_id: str) -> None:
        self.channels.pop(peer_id, None)
