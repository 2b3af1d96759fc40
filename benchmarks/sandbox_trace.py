"""The sandbox's command line, timing the sandbox's own part of every forwarded agent frame.

    python benchmarks/sandbox_trace.py --port 5002 ...   (the arguments of voicepanel-sandbox)

`benchmarks/sandbox_routing.py --trace` runs the sandbox this way. Its load agents put their
send time (CLOCK_MONOTONIC, shared by every process on the machine) at the start of each
frame; here, right after a frame of one agent is handed to another agent's connection
(written, or queued behind a backed-up socket), the time since it was sent is recorded:
loopback, waiting for the sandbox's loop, and the sandbox's own work, but not the receiving
load process's. `GET /bench/handoffs` answers those times in seconds, and forgets them.
It also times every garbage collection (Python's cyclic collector stops the loop while it
runs): `GET /bench/gc` answers [generation, seconds] pairs, and forgets them.
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
        handoffs.append(time.monotonic() - struct.unpack_from("<d", frame)[0])


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


def _build_app_with_trace(self: Sandbox) -> web.Application:
    app = _build_app(self)
    app.router.add_get("/bench/handoffs", _take_handoffs)
    app.router.add_get("/bench/gc", _take_collections)
    return app


gc.callbacks.append(_time_collection)
AgentSocket.deliver = _timed_deliver  # type: ignore[method-assign]
Sandbox.build_app = _build_app_with_trace  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
