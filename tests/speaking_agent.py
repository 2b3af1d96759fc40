"""An SDK agent that talks to a sandbox assistant in a room: voiced sounds the sandbox
hears as speech, then quiet, staying in the room (so the assistant is not left alone and
does not hang up) until cancelled."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from fishjam.agent import OutgoingAudioTrackOptions

from voicepanel.core.audio.pcm import to_pcm16

RATE = 16000
FRAME = RATE // 50


def voice(seconds: float) -> np.ndarray:
    """A 220 Hz tone with harmonics: speech to the sandbox's energy endpointing."""
    t = np.arange(int(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3)) * 0.25
    return np.asarray(wave, dtype=np.float32)


async def speak_then_listen(
    source: Any, room_id: str, utterances: list[float], gap_s: float
) -> None:
    """``source`` makes the agent (a Workspace or FishjamGateway). Says each utterance with
    ``gap_s`` of quiet after it, at real-time pace, then sends quiet until cancelled."""
    agent = await source.create_agent(room_id)
    quiet = np.zeros(int(gap_s * RATE), np.float32)
    frames = np.concatenate([np.concatenate([voice(s), quiet]) for s in utterances])
    silence = to_pcm16(np.zeros(FRAME, np.float32))
    async with agent.connect() as session:
        track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=RATE))  # type: ignore[arg-type]
        start = time.perf_counter()
        sent = 0
        while True:
            chunk = (
                to_pcm16(frames[sent * FRAME : (sent + 1) * FRAME])
                if sent * FRAME < len(frames)
                else silence
            )
            await track.send_chunk(chunk)
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * 0.02 - time.perf_counter()))
