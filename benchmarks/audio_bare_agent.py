"""The baseline for benchmarks/audio_pipeline.py: what a bare script does with the
fishjam SDK and sounddevice alone (streams opened at the room's rate and left to the
sound server to resample, an asyncio queue fed from the input callback, per-peer byte buffers mixed
in the output callback), instrumented the same way as the app.

    python benchmarks/audio_bare_agent.py --url URL --token TOKEN --room ROOM --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time

import numpy as np
import sounddevice as sd
import thread_cpu
from fishjam import AgentOptions, AgentOutputOptions, FishjamClient
from fishjam.agent import OutgoingAudioTrackOptions

RATE = 16000
FRAME = 320
WARMUP_S = 3.0


def cpu_seconds() -> float:
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(
    url: str, token: str, room: str, seconds: float, marks: bool = False
) -> dict[str, object]:
    """``marks``: instead of ``seconds``, print READY after the warm-up, count from a
    START line on stdin to a STOP line (benchmarks/audio_burst.py)."""
    client = FishjamClient(url, token)
    agent = await asyncio.to_thread(
        client.create_agent, room, AgentOptions(output=AgentOutputOptions(audio_sample_rate=RATE))
    )
    loop = asyncio.get_running_loop()
    captured: asyncio.Queue[tuple[float, np.ndarray]] = asyncio.Queue()
    lock = threading.Lock()
    peers: dict[str, bytearray] = {}
    # peer -> [[bytes before this chunk, t, seconds of audio queued ahead of it]]
    arrivals: dict[str, list[list[float]]] = {}
    uplink: list[float] = []
    downlink: list[float] = []
    downlink_buffered: list[float] = []
    underruns = [0]
    xruns = [0]
    last_output = [0.0]
    longest_gap = [0.0]
    playing: set[str] = set()
    callback_threads: dict[int, str] = {}

    def on_input(indata, frames, t, status) -> None:
        if not callback_threads.get(threading.get_native_id()):
            callback_threads[threading.get_native_id()] = "microphone callback"
        loop.call_soon_threadsafe(captured.put_nowait, (time.perf_counter(), indata[:, 0].copy()))

    def on_output(outdata, frames, t, status) -> None:
        now = time.perf_counter()
        if not callback_threads.get(threading.get_native_id()):
            callback_threads[threading.get_native_id()] = "speaker callback"
        if last_output[0]:
            longest_gap[0] = max(longest_gap[0], now - last_output[0])
        last_output[0] = now
        if status.output_underflow:
            xruns[0] += 1
        mix = np.zeros(frames, dtype=np.float32)
        with lock:
            for peer_id, buf in peers.items():
                n = min(len(buf), frames * 2)
                if peer_id in playing and n < frames * 2:
                    underruns[0] += 1  # a peer that was playing ran short: a gap is heard
                if n == frames * 2:
                    playing.add(peer_id)
                elif n == 0:
                    playing.discard(peer_id)
                if n:
                    mix[: n // 2] += np.frombuffer(bytes(buf[:n]), "<i2") / 32768.0
                    del buf[:n]
                    marks = arrivals[peer_id]
                    while marks and marks[0][0] < n:
                        _, arrived, ahead = marks.pop(0)
                        downlink.append(now - arrived)
                        downlink_buffered.append(ahead)
                    for mark in marks:
                        mark[0] -= n
        outdata[:, 0] = np.clip(mix, -1, 1)

    async with agent.connect() as session:
        track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=RATE))

        async def receive() -> None:
            async for msg in session.receive():
                t = time.perf_counter()
                with lock:
                    buf = peers.setdefault(msg.peer_id, bytearray())
                    arrivals.setdefault(msg.peer_id, []).append([len(buf), t, len(buf) / 2 / RATE])
                    buf += msg.data
                    if len(buf) > RATE * 2:  # keep at most a second
                        drop = len(buf) - RATE
                        del buf[:drop]
                        arrivals[msg.peer_id] = [
                            [m[0] - drop, m[1], m[2]] for m in arrivals[msg.peer_id] if m[0] >= drop
                        ]

        receiver = asyncio.create_task(receive())
        with (
            sd.InputStream(
                RATE, FRAME, channels=1, dtype="float32", latency="high", callback=on_input
            ),
            sd.OutputStream(
                RATE, FRAME, channels=1, dtype="float32", latency="high", callback=on_output
            ),
        ):
            start = time.perf_counter()
            cpu0 = None
            started = asyncio.Event()
            stopped = asyncio.Event()

            async def follow_marks() -> None:
                await asyncio.sleep(WARMUP_S)
                print("READY", flush=True)
                await asyncio.to_thread(sys.stdin.readline)
                started.set()
                await asyncio.to_thread(sys.stdin.readline)
                stopped.set()

            if marks:
                follower = asyncio.create_task(follow_marks())
            while not stopped.is_set() if marks else time.perf_counter() - start < seconds:
                due = started.is_set() if marks else time.perf_counter() - start > WARMUP_S
                if cpu0 is None and due:
                    threads0 = thread_cpu.snapshot()
                    cpu0, wall0 = cpu_seconds(), time.perf_counter()
                    uplink.clear()
                    with lock:
                        downlink.clear()
                        downlink_buffered.clear()
                    underruns[0] = 0
                    xruns[0] = 0
                    longest_gap[0] = 0.0
                try:
                    t_cb, block = await asyncio.wait_for(captured.get(), 0.1)
                except TimeoutError:
                    continue
                pcm = (np.clip(block, -1, 1) * 32767).astype("<i2").tobytes()
                await track.send_chunk(pcm)
                uplink.append(time.perf_counter() - t_cb)
            assert cpu0 is not None
            wall = time.perf_counter() - wall0
            cpu = (cpu_seconds() - cpu0) / wall
            threads = thread_cpu.by_thread(threads0, thread_cpu.snapshot(), wall, callback_threads)
        receiver.cancel()
        if marks:
            follower.cancel()
    await asyncio.to_thread(client.delete_peer, room, agent.id)
    return {
        "cpu_pct": 100 * cpu,
        "threads": threads,
        "uplink_s": uplink,
        "downlink_s": downlink,
        "downlink_buffered_s": downlink_buffered,
        "underruns": underruns[0],
        "speaker_xruns": xruns[0],
        "speaker_late_ms": max(0.0, (longest_gap[0] - 0.02) * 1000),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url")
    p.add_argument("--token")
    p.add_argument("--room")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--marks", action="store_true", help="count from START to STOP on stdin")
    a = p.parse_args()
    print(json.dumps(asyncio.run(run(a.url, a.token, a.room, a.seconds, a.marks))))


if __name__ == "__main__":
    main()
