"""Helpers for the audio tests that join sandbox rooms: plain SDK agents that listen or
talk, and waiting on a condition without sleeping blindly."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
from fishjam.agent import Agent, OutgoingAudioTrackOptions

from voicepanel.core.audio.pcm import from_pcm16, to_pcm16


async def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Heard:
    chunks: dict[str, list[bytes]] = field(default_factory=dict)

    def audio(self, peer_id: str) -> np.ndarray:
        return from_pcm16(b"".join(self.chunks.get(peer_id, [])))


@contextlib.asynccontextmanager
async def listening_agent(agent: Agent) -> AsyncIterator[Heard]:
    """A plain SDK agent that keeps everything it receives, by sender."""
    heard = Heard()
    async with agent.connect() as session:

        async def receive() -> None:
            async for message in session.receive():
                heard.chunks.setdefault(message.peer_id, []).append(message.data)

        task = asyncio.create_task(receive())
        try:
            yield heard
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def talk(agent: Agent, samples: np.ndarray, rate: int) -> None:
    """A plain SDK agent says ``samples``, in 20 ms chunks at real-time pace."""
    frame = rate // 50
    async with agent.connect() as session:
        track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=rate))  # type: ignore[arg-type]
        start = time.perf_counter()
        for i in range(0, len(samples), frame):
            await track.send_chunk(to_pcm16(samples[i : i + frame]))
            delay = start + (i // frame + 1) * 0.02 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.sleep(0.5)
