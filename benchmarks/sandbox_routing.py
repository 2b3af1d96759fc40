"""Sandbox routing load: N rooms x 3 agents streaming 16 kHz audio in real time.

Starts `python -m voicepanel.sandbox` in a subprocess on a free port, then for each N
connects 3 agents per room with the real `fishjam` SDK; every agent sends 20 ms frames on
absolute deadlines and hears the other two. Reports the sandbox process's CPU (% of one
core, from /proc/<pid>/stat) and each frame's forwarding delay beyond pacing: receive time
minus the time the frame was due to be sent (frames carry their sequence number in their
first two samples; CLOCK_MONOTONIC is shared by both processes). Prints figures, asserts
nothing.

    python benchmarks/sandbox_routing.py [--rooms 5 10 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from fishjam import FishjamClient
from fishjam.agent import OutgoingAudioTrackOptions

RATE = 16000
FRAME_S = 0.02
FRAME_SAMPLES = int(RATE * FRAME_S)
AGENTS_PER_ROOM = 3
TOKEN = "bench-token"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Measurements:
    delays_s: list[float] = field(default_factory=list)
    frames_received: int = 0
    frames_sent: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def stamped_frame(sender: int, seq: int, base: np.ndarray) -> bytes:
    frame = base.copy()
    frame[0], frame[1], frame[2] = sender, seq & 0x7FFF, seq >> 15
    return frame.tobytes()


async def stream(session, sender: int, start: float, seconds: float, m: Measurements) -> None:  # type: ignore[no-untyped-def]
    track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=RATE))
    t = np.arange(FRAME_SAMPLES) / RATE
    base = (np.sin(2 * np.pi * 440 * t) * 3000).astype("<i2")
    loop = asyncio.get_running_loop()
    for seq in range(int(seconds / FRAME_S)):
        delay = start + seq * FRAME_S - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await track.send_chunk(stamped_frame(sender, seq, base))
        m.frames_sent += 1


async def listen(session, start: float, m: Measurements) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    async for message in session.receive():
        now = loop.time()
        samples = np.frombuffer(message.data[:6], dtype="<i2")
        seq = int(samples[1]) | (int(samples[2]) << 15)
        m.frames_received += 1
        m.delays_s.append(now - (start + seq * FRAME_S))


async def run_load(url: str, pid: int, rooms: int, seconds: float) -> dict[str, float]:
    client = FishjamClient(url, TOKEN)
    agents = []
    for _ in range(rooms):
        room = await asyncio.to_thread(client.create_room)
        for _ in range(AGENTS_PER_ROOM):
            agents.append(await asyncio.to_thread(client.create_agent, room.id))
    m = Measurements()
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(a.connect()) for a in agents]
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5
        listeners = [asyncio.create_task(listen(s, start, m)) for s in sessions]
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        await asyncio.gather(*(stream(s, i, start, seconds, m) for i, s in enumerate(sessions)))
        await asyncio.sleep(0.3)  # let the last frames play out
        cpu_after, wall_after = cpu_seconds(pid), time.monotonic()
        for task in listeners:
            task.cancel()
    for room in await asyncio.to_thread(client.get_all_rooms):
        await asyncio.to_thread(client.delete_room, room.id)
    delays_ms = np.array(m.delays_s) * 1000
    expected = m.frames_sent * (AGENTS_PER_ROOM - 1)
    return {
        "cpu_pct": 100 * (cpu_after - cpu_before) / (wall_after - wall_before),
        "p50_ms": float(np.percentile(delays_ms, 50)),
        "p99_ms": float(np.percentile(delays_ms, 99)),
        "delivered_pct": 100 * m.frames_received / expected,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voicepanel.sandbox", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the ready line
        url = f"http://127.0.0.1:{port}"
        print(f"sandbox pid {server.pid} on {url}; {args.seconds:.0f} s of audio per run")
        print(
            "| rooms | agents | sandbox CPU (% of one core) | delay p50 | delay p99 | delivered |"
        )
        print("|---:|---:|---:|---:|---:|---:|")
        for rooms in args.rooms:
            r = await run_load(url, server.pid, rooms, args.seconds)
            print(
                f"| {rooms} | {rooms * AGENTS_PER_ROOM} | {r['cpu_pct']:.0f} % "
                f"| {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['delivered_pct']:.1f} % |",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
