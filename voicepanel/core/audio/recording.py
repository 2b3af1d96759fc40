"""Recording a call to WAV: the room as mixed here, the local side, and one stem per
remote peer, all at the room's rate and aligned in time."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from voicepanel.core.audio.audio_file import WavRecorder
from voicepanel.core.audio.ringbuffer import Samples


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60] or "peer"


class CallRecording:
    def __init__(self, folder: Path | str, rate: int, frame_size: int) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.folder = Path(folder) / f"agent-call-{stamp}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rate = rate
        self.frame_size = frame_size
        self.room = WavRecorder(self.folder / "room-mix.wav", rate)
        self.local = WavRecorder(self.folder / "local.wav", rate)
        self.stems: dict[str, WavRecorder] = {}
        self._mix_frames = 0

    @property
    def paths(self) -> list[Path]:
        return [self.room.path, self.local.path] + [s.path for s in self.stems.values()]

    def write_local(self, frame: Samples) -> None:
        self.local.write(frame)

    def write_room(self, mix: Samples, peers: dict[str, Samples]) -> None:
        self.room.write(mix)
        silence = np.zeros(self.frame_size, dtype=np.float32)
        for peer_id in peers:
            if peer_id not in self.stems:
                stem = WavRecorder(self.folder / f"peer-{_safe(peer_id)}.wav", self.rate)
                # A peer that joins later starts with the silence before it, so stems line up.
                for _ in range(self._mix_frames):
                    stem.write(silence)
                self.stems[peer_id] = stem
        for peer_id, stem in self.stems.items():
            stem.write(peers.get(peer_id, silence))
        self._mix_frames += 1

    def close(self) -> None:
        for recorder in [self.room, self.local, *self.stems.values()]:
            recorder.close()
