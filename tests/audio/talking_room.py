"""A room whose other peers live in another process, as other computers would: a sandbox
and ``peers`` SDK agents that talk without a break (a tone each, 300 Hz + 110 Hz per
peer, 20 ms chunks at real-time pace). Used by the audio tests and benchmarks so that
nothing the process under test does can slow the talkers down.

    python tests/audio/talking_room.py --peers 4     # prints {"url", "token", "room"}
                                                     # then talks until stdin closes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000
AMPLITUDE = 0.3


def talker_frequency(index: int) -> float:
    return 300.0 + 110.0 * index


@dataclass(frozen=True)
class TalkingRoom:
    url: str
    token: str
    room_id: str


@contextlib.contextmanager
def talking_room(
    env: dict[str, str], peers: int, server: tuple[str, str] | None = None
) -> Iterator[TalkingRoom]:
    """Starts the room in a child process, with a sandbox of its own or on ``server``
    (url, management token); stops it (and its sandbox) on exit."""
    on_server = ["--url", server[0], "--token", server[1]] if server else []
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--peers", str(peers), *on_server],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the talking room did not start")
        info = json.loads(line)
        yield TalkingRoom(info["url"], info["token"], info["room"])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _serve(peers: int, url: str | None, token: str | None) -> None:
    from fishjam.agent import OutgoingAudioTrackOptions

    from voicepanel.core.audio.pcm import to_pcm16
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
    from voicepanel.sandbox.server import Sandbox, SandboxConfig

    sandbox = None
    if url is None or token is None:
        sandbox = Sandbox(SandboxConfig(port=0))
        await sandbox.start()
        url, token = sandbox.fishjam_url, sandbox.config.token
    gateway = FishjamGateway(url, token)
    room = await gateway.create_room(RoomSpec())

    async def talker(freq: float) -> None:
        agent = await gateway.create_agent(room.id)
        t = np.arange(RATE) / RATE
        second = (AMPLITUDE * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        chunks = [to_pcm16(second[i : i + RATE // 50]) for i in range(0, RATE, RATE // 50)]
        async with agent.connect() as session:
            track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=RATE))

            async def drain() -> None:
                with contextlib.suppress(Exception):
                    async for _ in session.receive():
                        pass

            drainer = asyncio.create_task(drain())
            try:
                start = time.perf_counter()
                i = 0
                while True:
                    await track.send_chunk(chunks[i % len(chunks)])
                    i += 1
                    await asyncio.sleep(max(0.0, start + i * 0.02 - time.perf_counter()))
            finally:
                drainer.cancel()

    tasks = [asyncio.create_task(talker(talker_frequency(k))) for k in range(peers)]
    print(
        json.dumps({"url": url, "token": token, "room": room.id}),
        flush=True,
    )
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await gateway.close()
    if sandbox is not None:
        await sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers", type=int, default=4)
    parser.add_argument("--url", help="a running server (default: a sandbox of its own)")
    parser.add_argument("--token")
    args = parser.parse_args()
    asyncio.run(_serve(args.peers, args.url, args.token))
