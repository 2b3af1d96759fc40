"""Sandbox routing load: N rooms x 3 agents streaming 16 kHz audio in real time.

Starts `python -m voicepanel.sandbox` in a subprocess on a free port, creates N rooms with
3 agent peers each over REST, then load processes connect every agent to the agent socket;
each agent sends 20 ms PCM16 frames on absolute deadlines and hears the other two. With
`--phases locked` (the default, the worst case) all agents send at the same instants, a
burst of one frame per agent every 20 ms; with `--phases spread` each agent has its own
phase within the 20 ms, as independent clients do.

With `--speaking-assistants`, every other room also has a VAPI peer running the sandbox's
Echo assistant, made to speak by a `say` on its control URL every few seconds, so the
sandbox also runs the assistants and routes their voices to the agents. The assistant peer
is in manual subscribe mode (it hears no one), or the agents' continuous audio would talk
over it and interrupt every line. Its frames are counted, not timed.

Reported per N: the sandbox process's CPU (% of one core, from /proc/<pid>/stat), and each
received frame's forwarding delay beyond pacing: receive time minus the time the frame was
sent (a paced sender's frame is due to play the moment it is sent; frames carry their send
time, sender and sequence number in their first samples). With `--trace` the sandbox runs
through `benchmarks/sandbox_trace.py`, which also reports each frame's time from send to
being handed to the receiver's connection: the sandbox's part, without the receiving load
process's. Sender lateness and the load processes' own CPU are printed too, so a starved
load generator is not mistaken for a slow sandbox.

The load processes speak the agent protocol with hand-encoded protobuf (the same bytes the
SDK sends): the SDK's betterproto decoding costs ~0.3 ms per frame, which at 60 agents
would measure the load generator, not the sandbox. Prints figures, asserts nothing.

    python benchmarks/sandbox_routing.py [--rooms 5 10 20] [--seconds 10] [--workers 2]
                            [--phases locked|spread] [--trace] [--speaking-assistants]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from fishjam.events._protos.fishjam import (
    AgentRequest,
    AgentRequestAddTrack,
    AgentRequestAddTrackCodecParameters,
    AgentRequestAuthRequest,
)
from fishjam.events._protos.fishjam.notifications import Track, TrackType

from voicepanel.wire.agent_frames import read_varint, varint

RATE = 16000
FRAME_S = 0.02
FRAME_SAMPLES = int(RATE * FRAME_S)
AGENTS_PER_ROOM = 3
TOKEN = "bench-token"
VAPI_KEY = "bench-vapi-key"
ECHO_ASSISTANT_ID = "682a7be9-f7e5-53d9-9f87-f0193fd11264"
LINE = "Hello from the sandbox assistant, talking in this room while the agents stream."
SAY_EVERY_S = 4.0
# Each frame starts with its send time (float64, CLOCK_MONOTONIC, which every process on the
# machine shares), its sender and its sequence number.
STAMP_BYTES = struct.calcsize("<dhhh")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class WorkerResult:
    delays_s: list[float] = field(default_factory=list)
    send_lateness_s: list[float] = field(default_factory=list)
    frames_sent: int = 0
    frames_received: int = 0
    assistant_frames: int = 0
    cpu_s: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rest(url: str, method: str, path: str, body: dict | None = None, token: str = TOKEN) -> dict:
    request = urllib.request.Request(
        url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        raw = response.read()
    return json.loads(raw) if raw else {}


# -- hand-encoded protobuf for the per-frame messages ------------------------------------
# The client's side of the sandbox's fastwire: requests encoded, responses decoded.


def track_data_request(track_id: bytes, data: bytes) -> bytes:
    """bytes(AgentRequest(track_data=AgentRequestTrackData(track_id, data)))."""
    inner = b"\x0a" + varint(len(track_id)) + track_id + b"\x12" + varint(len(data)) + data
    return b"\x22" + varint(len(inner)) + inner


def audio_of_response(frame: bytes) -> tuple[bytes, bytes] | None:
    """(peer id, data) of an AgentResponse.track_data, or None for other messages."""
    if not frame or frame[0] != 0x12:
        return None
    _, pos = read_varint(frame, 1)
    peer_id = b""
    while pos < len(frame):
        tag = frame[pos]
        size, pos = read_varint(frame, pos + 1)
        if tag == 0x0A:
            peer_id = frame[pos : pos + size]
        elif tag == 0x1A:
            return peer_id, frame[pos : pos + size]
        pos += size
    return None


# -- one load process ---------------------------------------------------------------------


async def connect_agent(http: aiohttp.ClientSession, url: str, token: str) -> tuple[Any, bytes]:
    """An authenticated agent with one 16 kHz track; returns its socket and track id."""
    ws = await http.ws_connect(url.replace("http", "ws") + "/socket/agent/websocket")
    await ws.send_bytes(bytes(AgentRequest(auth_request=AgentRequestAuthRequest(token=token))))
    await ws.receive()  # authenticated
    track_id = os.urandom(8).hex()
    codec = AgentRequestAddTrackCodecParameters(sample_rate=RATE, channels=1)
    track = Track(id=track_id, type=TrackType.TRACK_TYPE_AUDIO, metadata="null")
    await ws.send_bytes(bytes(AgentRequest(add_track=AgentRequestAddTrack(track, codec))))
    return ws, track_id.encode()


async def agent(
    ws: Any,
    track_id: bytes,
    index: int,
    start: float,
    seconds: float,
    result: WorkerResult,
    sent_at: dict[tuple[int, int], float],
    agent_peers: set[bytes],
) -> None:
    loop = asyncio.get_running_loop()

    async def listen() -> None:
        async for message in ws:
            now = time.monotonic()
            track_data = audio_of_response(message.data)
            if track_data is None:
                continue
            peer_id, audio = track_data
            if peer_id not in agent_peers:
                result.assistant_frames += 1
                continue
            _, sender, low, high = struct.unpack_from("<dhhh", audio)
            result.frames_received += 1
            result.delays_s.append(now - sent_at[sender, low | (high << 15)])

    listener = asyncio.create_task(listen())
    base = (np.sin(2 * np.pi * 440 * np.arange(FRAME_SAMPLES) / RATE) * 3000).astype("<i2")
    for seq in range(int(seconds / FRAME_S)):
        due = start + seq * FRAME_S
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        frame = base.tobytes()
        now = time.monotonic()  # the loop's clock, and one clock for every process here
        sent_at[index, seq] = now
        result.send_lateness_s.append(now - due)
        stamped = struct.pack("<dhhh", now, index, seq & 0x7FFF, seq >> 15) + frame[STAMP_BYTES:]
        await ws.send_bytes(track_data_request(track_id, stamped))
        result.frames_sent += 1
    await asyncio.sleep(0.3)  # the last frames play out
    listener.cancel()
    await ws.close()


async def run_worker(  # type: ignore[no-untyped-def]
    url: str, agents: list[tuple[int, str, float]], peers: set[bytes], seconds: float, go
):
    """Connects every agent, says so, waits for the start time, then streams."""
    result = WorkerResult()
    sent_at: dict[tuple[int, int], float] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sockets = await asyncio.gather(*(connect_agent(http, url, t) for _, t, _ in agents))
        go.ready.release()
        while go.start.value == 0.0:
            await asyncio.sleep(0.005)
        start = go.start.value
        cpu_before = cpu_seconds(os.getpid())
        await asyncio.gather(
            *(
                agent(ws, track, i, start + offset, seconds, result, sent_at, peers)
                for (ws, track), (i, _, offset) in zip(sockets, agents, strict=True)
            )
        )
    result.cpu_s = cpu_seconds(os.getpid()) - cpu_before
    return result


def worker_main(  # type: ignore[no-untyped-def]
    url: str,
    agents: list[tuple[int, str, float]],
    peers: set[bytes],
    seconds: float,
    go,
    pipe,
) -> None:
    pipe.send(asyncio.run(run_worker(url, agents, peers, seconds, go)))


@dataclass
class StartSignal:
    """The load processes' rendezvous: each releases `ready` once its agents are
    connected; the driver then sets `start` (monotonic seconds) for all of them."""

    ready: Any
    start: Any


# -- speaking assistants ------------------------------------------------------------------


def add_speaking_assistant(url: str, room_id: str) -> str:
    """A VAPI peer running the Echo assistant in `room_id`; returns its control URL."""
    transport = {
        "provider": "vapi.websocket",
        "audioFormat": {"format": "pcm_s16le", "container": "raw", "sampleRate": RATE},
    }
    call = rest(
        url,
        "POST",
        "/vapi/call",
        {"assistantId": ECHO_ASSISTANT_ID, "transport": transport},
        token=VAPI_KEY,
    )
    options = {"apiKey": VAPI_KEY, "callId": call["id"], "subscribeMode": "manual"}
    rest(url, "POST", f"/room/{room_id}/peer", {"type": "vapi", "options": options})
    return call["monitor"]["controlUrl"]


def keep_saying(control_urls: list[str], until: float) -> None:
    """Every SAY_EVERY_S, each assistant says LINE (tones now; words once they speak)."""
    body = json.dumps({"type": "say", "content": LINE}).encode()
    while time.monotonic() < until:
        for control_url in control_urls:
            request = urllib.request.Request(
                control_url, method="POST", data=body, headers={"Content-Type": "application/json"}
            )
            try:
                urllib.request.urlopen(request).close()
            except OSError as exc:  # a call not live yet answers 409; try again next round
                print(f"say failed: {exc}", file=sys.stderr)
        time.sleep(SAY_EVERY_S)


# -- the driver ---------------------------------------------------------------------------


def run_load(
    url: str,
    pid: int,
    rooms: int,
    seconds: float,
    workers: int,
    assistants: bool,
    spread: bool,
    trace: bool,
) -> dict[str, float]:
    # Sender indices are global, so a frame's stamp names the agent that sent it.
    tokens = []
    room_ids = []
    agent_peers: set[bytes] = set()
    control_urls = []
    for index in range(rooms):
        room_id = rest(url, "POST", "/room", {})["data"]["room"]["id"]
        room_ids.append(room_id)
        for _ in range(AGENTS_PER_ROOM):
            peer = rest(url, "POST", f"/room/{room_id}/peer", {"type": "agent", "options": {}})
            tokens.append(peer["data"]["token"])
            agent_peers.add(peer["data"]["peer"]["id"].encode())
        if assistants and index % 2 == 0:
            control_urls.append(add_speaking_assistant(url, room_id))
    # Whole rooms per worker, so a frame's sender and its receivers share `sent_at`.
    shares: list[list[tuple[int, str, float]]] = [[] for _ in range(workers)]
    for index, token in enumerate(tokens):
        # Locked: every agent sends at the same instants (a 60-frame burst every 20 ms);
        # spread: each agent has its own phase, as independent clients do.
        offset = FRAME_S * index / len(tokens) if spread else 0.0
        shares[(index // AGENTS_PER_ROOM) % workers].append((index, token, offset))
    ctx = multiprocessing.get_context("spawn")
    go = StartSignal(ctx.Semaphore(0), ctx.Value("d", 0.0))
    pipes, processes = [], []
    for share in shares:
        if not share:
            continue
        receiver, sender = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=worker_main, args=(url, share, agent_peers, seconds, go, sender)
        )
        process.start()
        pipes.append(receiver)
        processes.append(process)
    # Streaming starts once every agent is connected (a busy machine can take seconds to
    # start the load processes; agents that start late would send a backlog at once).
    for _ in processes:
        go.ready.acquire()
    if trace:
        rest(url, "GET", "/bench/gc")  # forget the set-up's collections
    start = time.monotonic() + 0.5
    go.start.value = start
    if control_urls:
        sayer = threading.Thread(
            target=keep_saying, args=(control_urls, start + seconds), daemon=True
        )
        sayer.start()
    while time.monotonic() < start:
        time.sleep(0.01)
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    results: list[WorkerResult] = [pipe.recv() for pipe in pipes]
    cpu_after, wall_after = cpu_seconds(pid), time.monotonic()
    for process in processes:
        process.join()
    pauses = rest(url, "GET", "/bench/gc") if trace else []
    # How long a full collection stops the loop, the rooms and calls still there.
    full_gc: Any = rest(url, "GET", "/bench/full-collection") if trace else 0.0
    full_gc_ms = 1000 * float(full_gc)
    for room_id in room_ids:
        rest(url, "DELETE", f"/room/{room_id}")
    in_sandbox_ms = np.array(rest(url, "GET", "/bench/handoffs") if trace else [0.0]) * 1000
    # Bursts of 10 hand-offs or more (the assistants' lone frames are not bursts).
    bursts = [b for b in (rest(url, "GET", "/bench/bursts") if trace else []) if b[0] >= 10]
    burst_wall_ms = np.array([b[1] for b in bursts] or [0.0]) * 1000
    burst_cpu_ms = np.array([b[2] for b in bursts] or [0.0]) * 1000
    burst_size = np.array([b[0] for b in bursts] or [0])
    gc_ms = np.array([seconds for _, seconds in pauses] or [0.0]) * 1000
    full_ms = np.array([seconds for g, seconds in pauses if g == 2] or [0.0]) * 1000
    young_ms = np.array([seconds for g, seconds in pauses if g < 2] or [0.0]) * 1000

    delays_ms = np.array([d for r in results for d in r.delays_s]) * 1000
    lateness_ms = np.array([d for r in results for d in r.send_lateness_s]) * 1000
    sent = sum(r.frames_sent for r in results)
    received = sum(r.frames_received for r in results)
    wall = wall_after - wall_before
    return {
        "cpu_pct": 100 * (cpu_after - cpu_before) / wall,
        "p50_ms": float(np.percentile(delays_ms, 50)),
        "p99_ms": float(np.percentile(delays_ms, 99)),
        "delivered_pct": 100 * received / (sent * (AGENTS_PER_ROOM - 1)),
        "load_cpu_pct": 100 * sum(r.cpu_s for r in results) / wall,
        "late_p99_ms": float(np.percentile(lateness_ms, 99)),
        "sandbox_p50_ms": float(np.percentile(in_sandbox_ms, 50)),
        "sandbox_p99_ms": float(np.percentile(in_sandbox_ms, 99)),
        "assistant_s": sum(r.assistant_frames for r in results) * FRAME_S,
        "assistants": len(control_urls),
        "bursts": len(bursts),
        "burst_size_p50": float(np.percentile(burst_size, 50)),
        "burst_wall_p50_ms": float(np.percentile(burst_wall_ms, 50)),
        "burst_wall_p99_ms": float(np.percentile(burst_wall_ms, 99)),
        "burst_cpu_p50_ms": float(np.percentile(burst_cpu_ms, 50)),
        "burst_cpu_p99_ms": float(np.percentile(burst_cpu_ms, 99)),
        "full_gc_ms": full_gc_ms,
        "gc_count": len(pauses),
        "gc_full": sum(1 for generation, _ in pauses if generation == 2),
        "gc_full_max_ms": float(full_ms.max()),
        "gc_young_max_ms": float(young_ms.max()),
        "gc_total_ms": float(gc_ms.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="load processes")
    parser.add_argument(
        "--phases",
        choices=["locked", "spread"],
        default="locked",
        help="agents send at the same instants (locked, the worst case) or each at its own",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="also time the sandbox's own part (runs it through benchmarks/sandbox_trace.py)",
    )
    parser.add_argument(
        "--speaking-assistants",
        action="store_true",
        help="a VAPI peer speaking the Echo assistant's lines in every other room",
    )
    args = parser.parse_args()

    port = free_port()
    sandbox = [str(Path(__file__).with_name("sandbox_trace.py"))] if args.trace else []
    command = [sys.executable, *(sandbox or ["-m", "voicepanel.sandbox"])]
    command += ["--port", str(port), "--token", TOKEN, "--vapi-key", VAPI_KEY]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the ready line
        url = f"http://127.0.0.1:{port}"
        print(f"sandbox pid {server.pid} on {url}; {args.seconds:.0f} s of audio per run")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
        print(f"agent phases {args.phases}")
        print(
            "| rooms | agents | speaking assistants | sandbox CPU (% of one core) | delay p50 "
            "| delay p99 | in sandbox p50 | in sandbox p99 | frames delivered "
            "| assistant audio heard | load processes CPU | sender lateness p99 |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for rooms in args.rooms:
            r = run_load(
                url,
                server.pid,
                rooms,
                args.seconds,
                args.workers,
                args.speaking_assistants,
                args.phases == "spread",
                args.trace,
            )
            traced = (
                f"| {r['sandbox_p50_ms']:.2f} ms | {r['sandbox_p99_ms']:.2f} ms "
                if args.trace
                else "| - | - "
            )
            print(
                f"| {rooms} | {rooms * AGENTS_PER_ROOM} | {r['assistants']} "
                f"| {r['cpu_pct']:.0f} % | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms "
                f"{traced}| {r['delivered_pct']:.1f} % | {r['assistant_s']:.0f} s "
                f"| {r['load_cpu_pct']:.0f} % | {r['late_p99_ms']:.1f} ms |",
                flush=True,
            )
            if args.trace:
                print(
                    f"  garbage collections in the sandbox: {r['gc_count']}"
                    f" ({r['gc_full']} full), longest full {r['gc_full_max_ms']:.1f} ms,"
                    f" longest other {r['gc_young_max_ms']:.1f} ms,"
                    f" {r['gc_total_ms']:.1f} ms in all;"
                    f" a full collection after the run took {r['full_gc_ms']:.1f} ms",
                    flush=True,
                )
                print(
                    f"  bursts of hand-offs: {r['bursts']}, {r['burst_size_p50']:.0f} hand-offs"
                    f" (median); first to last hand-off p50 {r['burst_wall_p50_ms']:.2f} ms,"
                    f" p99 {r['burst_wall_p99_ms']:.2f} ms; the sandbox's CPU time in it"
                    f" p50 {r['burst_cpu_p50_ms']:.2f} ms, p99 {r['burst_cpu_p99_ms']:.2f} ms",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
