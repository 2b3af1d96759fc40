"""What VapiGateway's calls cost the event loop it runs on.

    python benchmarks/vapi_gateway.py [--ops 20 --calls 4 --seconds 12]

The sandbox runs in a process of its own (as VAPI's cloud would); the gateway runs here on
an asyncio loop with a probe that wakes every 5 ms and records how late it woke (the
loop's stalls: what the window would freeze for, the desktop app running the gateway on the
GUI thread's loop). Prints:

- first call: from a new gateway to its first ``get_call`` answer (the SDK loads then);
- ``create_call`` and ``get_call``, with a saved assistant (by id) and with an inline one
  (the scenario load's): wall time and this process's CPU time per call, one call after
  another;
- polling: ``--calls`` inline-assistant calls read back every 2 s each, as the calls dock
  polls its cards, for ``--seconds``: the loop's longest stall and its 99th percentile.

Each line also gives the loop's longest stall while it was measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from notification_burst import VAPI_KEY, sandbox_process

from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.session.calls import POLL_INTERVAL_S

PROBE_S = 0.005
# The scenario load's assistant (benchmarks/load-echo.toml): an inline one, as scenarios and
# the Add VAPI assistant dialog send; VAPI's answers then carry the whole assistant.
INLINE = {
    "name": "Quick echo",
    "firstMessageMode": "assistant-waits-for-user",
    "startSpeakingPlan": {
        "waitSeconds": 0.4,
        "transcriptionEndpointingPlan": {"onNoPunctuationSeconds": 0.5},
    },
    "metadata": {"sandbox": {"behavior": "echo"}},
}


class LoopProbe:
    """Wakes every 5 ms and keeps how late each wake-up was."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + PROBE_S
            await asyncio.sleep(PROBE_S)
            self.lateness.append(loop.time() - due)

    def start(self) -> None:
        self.lateness.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> list[float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return sorted(self.lateness)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _stall_line(lateness: list[float]) -> str:
    p99 = lateness[int(0.99 * (len(lateness) - 1))] if lateness else 0.0
    longest = lateness[-1] if lateness else 0.0
    return f"loop stall max {_ms(longest)} ms, p99 {_ms(p99)} ms"


async def _timed(ops: int, make: Callable[[], Awaitable[Any]]) -> tuple[list[float], float]:
    walls: list[float] = []
    cpu0 = time.process_time()
    for _ in range(ops):
        t0 = time.perf_counter()
        await make()
        walls.append(time.perf_counter() - t0)
    return sorted(walls), (time.process_time() - cpu0) / ops


async def run(base_url: str, ops: int, calls: int, seconds: float) -> None:
    probe = LoopProbe()
    vapi = VapiGateway(VAPI_KEY, base_url=base_url + "/vapi")
    try:
        echo = next(a.id for a in await vapi.list_assistants() if a.name == "Echo")
        probe.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        first = await vapi.create_call(assistant_id=echo)
        await vapi.get_call(first.id)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        print(
            f"first create + get: {_ms(wall)} ms wall, {_ms(cpu)} ms CPU;"
            f" {_stall_line(await probe.stop())}"
        )

        kinds: dict[str, dict[str, Any]] = {
            "saved": {"assistant_id": echo},
            "inline": {"assistant": INLINE},
        }
        for kind, assistant in kinds.items():
            probe.start()
            walls, cpu = await _timed(ops, lambda a=assistant: vapi.create_call(**a))
            print(
                f"create_call ({kind} assistant) x{ops}: p50 {_ms(statistics.median(walls))} ms,"
                f" max {_ms(walls[-1])} ms wall, {_ms(cpu)} ms CPU each;"
                f" {_stall_line(await probe.stop())}"
            )
            probe.start()
            call = await vapi.create_call(**assistant)
            walls, cpu = await _timed(ops, lambda c=call: vapi.get_call(c.id))
            print(
                f"get_call ({kind} assistant) x{ops}: p50 {_ms(statistics.median(walls))} ms,"
                f" max {_ms(walls[-1])} ms wall, {_ms(cpu)} ms CPU each;"
                f" {_stall_line(await probe.stop())}"
            )

        polled = [await vapi.create_call(assistant=INLINE) for _ in range(calls)]
        reads = 0

        async def poll(call_id: str, offset: float) -> None:
            nonlocal reads
            await asyncio.sleep(offset)
            while True:
                await vapi.get_call(call_id)
                reads += 1
                await asyncio.sleep(POLL_INTERVAL_S)

        probe.start()
        cpu0 = time.process_time()
        # Cards are opened at different moments, so their polls do not line up.
        pollers = [
            asyncio.create_task(poll(c.id, i * POLL_INTERVAL_S / calls))
            for i, c in enumerate(polled)
        ]
        await asyncio.sleep(seconds)
        for task in pollers:
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        cpu = time.process_time() - cpu0
        print(
            f"polling {calls} calls every {POLL_INTERVAL_S:g} s for {seconds:g} s: {reads} reads,"
            f" {cpu / seconds * 100:.1f} % CPU; {_stall_line(await probe.stop())}"
        )
    finally:
        await vapi.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="VapiGateway's cost to its event loop.")
    parser.add_argument("--ops", type=int, default=20, help="timed creates and gets")
    parser.add_argument("--calls", type=int, default=4, help="calls polled at once")
    parser.add_argument("--seconds", type=float, default=12.0, help="polling time")
    args = parser.parse_args()
    with sandbox_process() as url:
        asyncio.run(run(url, args.ops, args.calls, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
