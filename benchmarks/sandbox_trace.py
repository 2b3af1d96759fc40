"""The sandbox's command line, timing the sandbox's own part of every forwarded agent frame.

    python benchmarks/sandbox_trace.py --port 5002 ...   (the arguments of voicepanel-sandbox)

`benchmarks/sandbox_routing.py --trace` runs the sandbox this way. Its load agents put their
send time (CLOCK_MONOTONIC, shared by every process on the machine) at the start of each
frame; here, right after a frame of one agent is handed to another agent's connection
(written, or queued behind a backed-up socket), the time since it was sent is recorded:
loopback, waiting for the sandbox's loop, and the sandbox's own work, but not the receiving
load process's. `GET /bench/handoffs` answers those times in seconds, and forgets them.
With each hand-off it keeps the moment and the loop thread's CPU time, so `GET
/bench/bursts` can say, for each burst of hand-offs (a gap of more than 4 ms ends one),
how many there were, how long the burst lasted and how much of that the sandbox's thread
was running: a burst that lasts longer than its CPU time waited for a core.
It also times every garbage collection (Python's cyclic collector stops the loop while it
runs): `GET /bench/gc` answers [generation, seconds] pairs, and forgets them; `GET
/bench/full-collection` runs a full collection now and answers how long it took.
Measurement only: it wraps `AgentSocket.deliver`, which is what it times.
"""

from __future__ import annotations

import gc
import struct
import sys
import time
from typing import Any

from aiohttp import web

from voicepanel.sandbox import cli
from voicepanel.sandbox.fishjam.agent_socket import AgentSocket
from voicepanel.sandbox.fishjam.state import PeerType, Track
from voicepanel.sandbox.server import Sandbox

handoffs: list[float] = []
# The moment and the thread's CPU time of each hand-off, as floats: a tuple per hand-off
# would be work for the garbage collector the sandbox itself does not make.
clock_wall: list[float] = []
clock_cpu: list[float] = []
BURST_GAP_S = 0.004
collections: list[tuple[int, float]] = []
_gc_started = 0.0
_deliver = AgentSocket.deliver
_build_app = Sandbox.build_app


def _timed_deliver(self: AgentSocket, track: Track, frame: bytes) -> None:
    _deliver(self, track, frame)
    receiver = self._peer
    room = self._state.rooms.get(receiver.room_id) if receiver is not None else None
    sender = room.peers.get(track.peer_id) if room is not None else None
    if sender is not None and sender.type is PeerType.AGENT and len(frame) >= 8:
        now = time.monotonic()
        handoffs.append(now - struct.unpack_from("<d", frame)[0])
        clock_wall.append(now)
        clock_cpu.append(time.thread_time())


async def _take_bursts(request: web.Request) -> web.Response:
    """[hand-offs, wall seconds, CPU seconds] for each burst since the last call."""
    wall, cpu = clock_wall[:], clock_cpu[:]
    clock_wall.clear()
    clock_cpu.clear()
    bursts: list[tuple[int, float, float]] = []
    first = 0
    for i in range(1, len(wall) + 1):
        if i == len(wall) or wall[i] - wall[i - 1] > BURST_GAP_S:
            bursts.append((i - first, wall[i - 1] - wall[first], cpu[i - 1] - cpu[first]))
            first = i
    return web.json_response(bursts)


async def _take_handoffs(request: web.Request) -> web.Response:
    taken = handoffs[:]
    handoffs.clear()
    return web.json_response(taken)


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        collections.append((info["generation"], time.perf_counter() - _gc_started))


async def _take_collections(request: web.Request) -> web.Response:
    taken = collections[:]
    collections.clear()
    return web.json_response(taken)


async def _full_collection(request: web.Request) -> web.Response:
    started = time.perf_counter()
    gc.collect()
    return web.json_response(time.perf_counter() - started)


def _build_app_with_trace(self: Sandbox) -> web.Application:
    app = _build_app(self)
    app.router.add_get("/bench/handoffs", _take_handoffs)
    app.router.add_get("/bench/gc", _take_collections)
    app.router.add_get("/bench/bursts", _take_bursts)
    app.router.add_get("/bench/full-collection", _full_collection)
    return app


gc.callbacks.append(_time_collection)
AgentSocket.deliver = _timed_deliver  # type: ignore[method-assign]
Sandbox.build_app = _build_app_with_trace  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
