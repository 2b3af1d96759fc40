"""Sums remote peers' frames with per-peer gain and mute, then the master volume."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.ringbuffer import Samples


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

    def mix(self, frames: dict[str, Samples]) -> Samples:
        """One output frame from the peers that had audio this tick; clipped to full scale."""
        out = np.zeros(self.frame_size, dtype=np.float32)
        for peer_id, frame in frames.items():
            ctl = self.channel(peer_id)
            if ctl.muted or ctl.gain == 0.0:
                continue
            out += frame * np.float32(ctl.gain)
        if self.master_volume != 1.0:
            out *= np.float32(self.master_volume)
        np.clip(out, -1.0, 1.0, out=out)
        return out
