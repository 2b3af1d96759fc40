"""The local agent in the real situation: the panel (main window, offscreen) with an
agent joined the way "Join as agent" does, in a room of four peers talking without a
break, while 10,000 notifications arrive; then the same agent in a process of its own
under the same burst on the same server, the window still open (without its agent) so
the server and the machine carry the same load. Counts, for each, during the burst: underruns
(peer jitter buffers that ran dry and came back: gaps heard), PortAudio output xruns,
the worst lateness of the speaker's callback (longest gap between two callbacks less one
20 ms block), near-silent 40 ms windows in a recording of the speaker, and the window's
longest event-loop stall.

    QT_QPA_PLATFORM=offscreen python benchmarks/audio_burst.py [--count 10000]

Starts its own PulseAudio (null sinks), a sandbox and the four talkers in other
processes, and the pusher of benchmarks/notification_burst.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PEERS = 4
WARMUP_S = 3.0
WINDOW_S = 0.04
NEAR_SILENT_RMS = 0.02


def near_silent_windows(audio: np.ndarray, rate: int) -> int:
    size = int(WINDOW_S * rate)
    if len(audio) < size:
        return 0
    windows = audio[: len(audio) // size * size].reshape(-1, size)
    return int(np.sum(np.sqrt(np.mean(windows**2, axis=1)) < NEAR_SILENT_RMS))


class GcPauses:
    """The garbage collector's pauses (it holds the interpreter lock while it runs)."""

    def __init__(self) -> None:
        import gc

        self._gc = gc
        self._started = 0.0
        self.pauses: list[tuple[float, int]] = []

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started, info["generation"]))

    def start(self) -> None:
        self._gc.callbacks.append(self._callback)

    def stop(self) -> tuple[float, int]:
        self._gc.callbacks.remove(self._callback)
        longest = max(self.pauses, default=(0.0, 0))
        return longest[0] * 1000, sum(1 for _, g in self.pauses if g == 2)

    def by_generation(self) -> str:
        """E.g. 'gen 0: 812 x, worst 3 ms; gen 1: 80 x, worst 21 ms'."""
        parts = []
        for generation in (0, 1, 2):
            times = [t for t, g in self.pauses if g == generation]
            if times:
                parts.append(f"gen {generation}: {len(times)} x, worst {max(times) * 1000:.0f} ms")
        return "; ".join(parts) or "none"


class AudioLoopLag:
    """How late a 5 ms timer fires on the audio loop: how long the audio thread waited
    for a core or for the interpreter (the window's thread holding it)."""

    PERIOD_S = 0.005

    def __init__(self) -> None:
        self.lateness_s: list[float] = []
        self._running = False

    def start(self) -> None:
        from voicepanel.core.audio.audio_thread import audio_thread

        self._running = True
        audio_thread().submit(self._run())

    async def _run(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(self.PERIOD_S)
            self.lateness_s.append(time.perf_counter() - before - self.PERIOD_S)

    def stop(self) -> dict[str, float]:
        self._running = False
        late = np.asarray(self.lateness_s or [0.0]) * 1000
        return {
            "audio_loop_late_p99_ms": float(np.percentile(late, 99)),
            "audio_loop_late_max_ms": float(late.max()),
        }


class AgentWatch:
    """Counters of one LocalAgent, from a start mark to a stop mark. A timing probe,
    attached at once (it needs a moment to start noting arrivals), times the gaps
    between the chunks of each peer as they come off the socket."""

    def __init__(self, agent: Any) -> None:
        from voicepanel.core.audio.probe import PipelineProbe

        self.agent = agent
        self.probe = agent.probe = PipelineProbe()
        self.loop_lag = AudioLoopLag()
        self._start: dict[str, Any] = {}

    def start(self) -> None:
        # Kept: if the stall watchdog closes the speaker, its counters are still read.
        self.playback = playback = self.agent.devices.playback
        playback.longest_gap_s = 0.0
        self._start = {
            "underruns": sum(s.underruns for s in self.agent.levels().peers),
            "overruns": sum(s.overruns for s in self.agent.levels().peers),
            "xruns": playback.xruns,
            "gaps": len(self.probe.arrival_gaps_s),
        }
        self.loop_lag.start()

    def stop(self) -> dict[str, Any]:
        playback = self.playback
        peers = self.agent.levels().peers
        gaps = np.asarray(self.probe.arrival_gaps_s[self._start["gaps"] :] or [0.0]) * 1000
        return {
            "longest_arrival_gap_ms": float(gaps.max()),
            "arrival_gaps_over_60ms": int(np.sum(gaps > 60.0)),
            **self.loop_lag.stop(),
            "peers": len(peers),
            "underruns": sum(s.underruns for s in peers) - self._start["underruns"],
            "overruns": sum(s.overruns for s in peers) - self._start["overruns"],
            "xruns": playback.xruns - self._start["xruns"],
            "devices_lost": self.agent.devices.playback is not playback,
            "worst_callback_late_ms": max(0.0, (playback.longest_gap_s - 0.02) * 1000),
        }


async def wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def push_burst(url: str, count: int, threads: int) -> float:
    start = time.perf_counter()
    pusher = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "notification_burst.py"),
        "--push",
        url,
        "--count",
        str(count),
        "--threads",
        str(threads),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await pusher.wait()
    return time.perf_counter() - start


# -- the panel with an agent ---------------------------------------------------------------


async def in_panel(url: str, room_id: str, count: int, threads: int, pulse: Any) -> dict:
    from notification_burst import StallMeter, open_panel

    from voicepanel.session.local_agent import AgentState, LocalAgent
    from voicepanel.ui.agent_panel import open_agent_panel

    window, host = await open_panel(url)
    folder = Path(tempfile.mkdtemp(prefix="voicepanel-audio-burst-"))
    ws = host.workspace
    panel = open_agent_panel(window, ws, room_id, lambda: LocalAgent.in_workspace(ws, room_id))
    agent = panel.agent
    await wait_until(lambda: agent.state is AgentState.LIVE, 15, "the agent to join")
    await wait_until(
        lambda: agent.devices.playback is not None and agent.devices.playback.callbacks > 50,
        15,
        "the speaker to run",
    )
    await wait_until(lambda: len(agent.levels().peers) == PEERS, 10, "four peers heard")
    await asyncio.sleep(WARMUP_S)
    model = window.notifications.model
    rows_before = model.rowCount()
    watch = AgentWatch(agent)
    meter = StallMeter()
    recording = pulse.record_speaker(folder / "spk.raw")
    await asyncio.sleep(0.3)
    gc_pauses = GcPauses()
    gc_pauses.start()
    watch.start()
    meter.start()
    push_s = await push_burst(url, count, threads)
    await wait_until(lambda: model.rowCount() - rows_before >= count, 120, "every row")
    result = watch.stop()
    meter.stop()
    longest_gc_ms, full_collections = gc_pauses.stop()
    heard = recording.stop()
    result.update(
        longest_gc_ms=longest_gc_ms,
        full_collections=full_collections,
        gc_by_generation=gc_pauses.by_generation(),
        push_s=push_s,
        near_silent_windows=near_silent_windows(heard[int(0.3 * 16000) :], 16000),
        longest_loop_stall_ms=max(meter.gaps) * 1000 if meter.gaps else 0.0,
    )
    # The window stays, without its agent, for the run in a process of its own: the
    # server then sends it the same notifications, and the machine carries the same panel.
    await agent.leave()
    panel.close()

    async def close_window() -> None:
        window._quitting = True  # noqa: SLF001 - no quit prompt in a benchmark
        await host.close()
        window.close()

    result["close_window"] = close_window
    return result


# -- the agent in a process of its own -----------------------------------------------------


async def alone(url: str, token: str, room_id: str) -> None:
    """Child process: an agent alone; READY when steady, then counts from START to STOP."""
    from voicepanel.core.fishjam_gateway import FishjamGateway
    from voicepanel.session.local_agent import LocalAgent

    agent = LocalAgent(FishjamGateway(url, token), room_id)
    await agent.join()
    assert await agent.set_input_device(None) and await agent.set_output_device(None)
    await wait_until(lambda: agent.devices.playback.callbacks > 50, 15, "the speaker to run")
    await wait_until(lambda: len(agent.levels().peers) == PEERS, 10, "four peers heard")
    await asyncio.sleep(WARMUP_S)
    watch = AgentWatch(agent)
    print("READY", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    watch.start()
    await asyncio.to_thread(sys.stdin.readline)
    result = watch.stop()
    await agent.leave()
    print(json.dumps(result), flush=True)


async def in_own_process(
    url: str,
    token: str,
    room_id: str,
    count: int,
    threads: int,
    pulse: Any,
    env: dict,
    bare: bool = False,
) -> dict:
    """The LocalAgent in a process of its own, or (``bare``) the bare script of
    benchmarks/audio_bare_agent.py, counted from START to STOP."""
    role = (
        [str(HERE / "audio_bare_agent.py"), "--url", url, "--token", token, "--room", room_id]
        + ["--marks"]
        if bare
        else [__file__, "--alone", url, token, room_id]
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        *role,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 26,  # the bare script's result line carries every timing it took
    )
    assert child.stdin is not None and child.stdout is not None
    line = await child.stdout.readline()
    assert line.strip() == b"READY", line
    recording = pulse.record_speaker(Path(tempfile.mkdtemp()) / "spk.raw")
    await asyncio.sleep(0.3)
    child.stdin.write(b"START\n")
    await child.stdin.drain()
    push_s = await push_burst(url, count, threads)
    await asyncio.sleep(2.0)  # the sandbox still relays the tail of the burst
    child.stdin.write(b"STOP\n")
    await child.stdin.drain()
    result = json.loads(await child.stdout.readline())
    if bare:  # its own names for the same counts
        result = {
            "underruns": result["underruns"],
            "xruns": result["speaker_xruns"],
            "worst_callback_late_ms": result["speaker_late_ms"],
            "overruns": "-",
            "longest_arrival_gap_ms": float("nan"),
            "arrival_gaps_over_60ms": "-",
            "audio_loop_late_p99_ms": float("nan"),
            "audio_loop_late_max_ms": float("nan"),
        }
    heard = recording.stop()
    await child.wait()
    result.update(
        push_s=push_s, near_silent_windows=near_silent_windows(heard[int(0.3 * 16000) :], 16000)
    )
    return result


# -- orchestration -------------------------------------------------------------------------


def cell(value: Any, fmt: str) -> str:
    """A table cell: "-" where the bare script has no such count."""
    if isinstance(value, float) and value != value:  # NaN
        return "-"
    return fmt.format(value) if isinstance(value, float | int) else str(value)


def report(panel: dict, own: dict, bare: dict, count: int) -> None:
    print(f"{count} notifications while {PEERS} peers talk; the agent's counts during the burst")
    print()
    print(
        "| | agent in the panel's process | agent in a process of its own "
        "| bare script in a process of its own |"
    )
    print("|---|---|---|---|")
    rows = (
        ("underruns, all peers (gaps heard)", "underruns", "{}"),
        ("PortAudio output xruns", "xruns", "{}"),
        ("worst speaker-callback lateness, ms", "worst_callback_late_ms", "{:.1f}"),
        ("near-silent 40 ms windows in the speaker's recording", "near_silent_windows", "{}"),
        ("jitter overruns (late audio dropped)", "overruns", "{}"),
        (
            "longest gap between two chunks of a peer off the socket, ms",
            "longest_arrival_gap_ms",
            "{:.0f}",
        ),
        ("chunk gaps over 60 ms (a 40 ms jitter buffer runs dry)", "arrival_gaps_over_60ms", "{}"),
        ("audio loop's 5 ms timer late, p99 / max ms", "audio_loop_late", "{}"),
        ("pusher's time for the burst, s", "push_s", "{:.1f}"),
    )
    for side in (panel, own, bare):
        side["audio_loop_late"] = (
            f"{cell(side['audio_loop_late_p99_ms'], '{:.1f}')} / "
            f"{cell(side['audio_loop_late_max_ms'], '{:.0f}')}"
        )
    for label, key, fmt in rows:
        cells = " | ".join(cell(side[key], fmt) for side in (panel, own, bare))
        print(f"| {label} | {cells} |")
    print(
        f"| window's longest event-loop stall, ms | {panel['longest_loop_stall_ms']:.0f} | - | - |"
    )
    print(
        f"| longest garbage-collector pause, ms (full collections) | "
        f"{panel['longest_gc_ms']:.0f} ({panel['full_collections']}) | - | - |"
    )
    print(f"Garbage collections in the panel's process: {panel['gc_by_generation']}")
    for name, side in (("panel's process", panel), ("own process", own)):
        if side.get("devices_lost"):
            print(f"(agent in the {name}: the stall watchdog closed its devices during the burst)")
    load = os.getloadavg()
    print()
    print(f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="notifications (even)")
    parser.add_argument("--threads", type=int, default=4, help="REST threads in the pusher")
    parser.add_argument(
        "--alone", nargs=3, metavar=("URL", "TOKEN", "ROOM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.alone:
        asyncio.run(alone(*args.alone))
        return 0

    from audio_pulse import start_pulse, stop_daemon
    from notification_burst import TOKEN, sandbox_process
    from talking_room import talking_room

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    pulse = start_pulse()
    settings_home = tempfile.mkdtemp(prefix="voicepanel-burst-home-")
    os.environ.update(
        XDG_RUNTIME_DIR=pulse.env["XDG_RUNTIME_DIR"],
        PULSE_SERVER=pulse.env["PULSE_SERVER"],
        XDG_CONFIG_HOME=settings_home,  # the agent window's QSettings stay out of the user's
    )
    env = dict(os.environ)
    try:
        with sandbox_process() as url, talking_room(env, PEERS, (url, TOKEN)) as room:
            from voicepanel.app import build_app, tune_runtime

            tune_runtime()
            app = build_app()
            import qasync

            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                panel = loop.run_until_complete(
                    in_panel(url, room.room_id, args.count, args.threads, pulse)
                )
                own = loop.run_until_complete(
                    in_own_process(url, TOKEN, room.room_id, args.count, args.threads, pulse, env)
                )
                bare = loop.run_until_complete(
                    in_own_process(
                        url, TOKEN, room.room_id, args.count, args.threads, pulse, env, bare=True
                    )
                )
                loop.run_until_complete(panel.pop("close_window")())
        report(panel, own, bare, args.count)
    finally:
        stop_daemon(pulse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
