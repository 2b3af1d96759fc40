"""The panel's event loop while VAPI's live events pour in and a local agent plays audio.

    python benchmarks/live_events_load.py [--events 2000 --seconds 10] [--presenter]

A private PulseAudio (null sinks, as the audio tests use) gives the local agent a speaker.
A second process runs the sandbox and a talker agent that speaks a tone into the room
without pause, so the local agent plays audio all along. The panel (main window offscreen,
real Workspace with its live-events receiver, calls dock) runs here on the qasync loop,
starts an Echo call in the room (its card shows the conversation) and joins the room as a
local agent. Then a third process posts ``--events`` VAPI events for that call to the
panel's receiver over ``--seconds``, paced evenly, with the profile's secret: turns of
speech updates, partial and final transcripts and conversation updates, in VAPI's shapes.

A 5 ms Qt timer measures the loop's gaps, first for the same time with no events
(baseline), then while the events arrive; with ``--presenter``, once more while presenter
mode (1920x1080) shows the room too, then once more with it closed, in the same run.
Printed for each window: the longest gap, p99, median and the gaps over 20 ms, the panel
process's CPU, the local agent's underruns (gaps heard) and PortAudio output xruns; and how
many events the receiver took.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from notification_burst import TOKEN, VAPI_KEY, StallMeter, open_panel  # noqa: E402

WARMUP_S = 3.0


# -- world: the sandbox and a talker, in their own process ------------------------------------


async def world() -> None:
    import numpy as np
    from fishjam.agent import OutgoingAudioTrackOptions

    from voicepanel.core.audio.pcm import to_pcm16
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
    from voicepanel.sandbox.server import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(port=0, token=TOKEN, vapi_key=VAPI_KEY))
    await sandbox.start()
    gateway = FishjamGateway(sandbox.fishjam_url, TOKEN)
    room = await gateway.create_room(RoomSpec())
    agent = await gateway.create_agent(room.id)
    t = np.arange(16000, dtype=np.float32) / 16000
    signal = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)

    async def talk() -> None:
        async with agent.connect() as session:
            track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=16000))  # type: ignore[arg-type]

            async def drain() -> None:
                with contextlib.suppress(Exception):
                    async for _ in session.receive():
                        pass

            drainer = asyncio.create_task(drain())
            start, i = time.perf_counter(), 0
            while True:
                await track.send_chunk(to_pcm16(signal[(i % 50) * 320 : (i % 50 + 1) * 320]))
                i += 1
                await asyncio.sleep(max(0.0, start + i * 0.02 - time.perf_counter()))
            drainer.cancel()

    talker = asyncio.create_task(talk())
    print(json.dumps({"url": sandbox.fishjam_url, "room": room.id}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the orchestrator closes our stdin
    talker.cancel()
    await sandbox.stop()


# -- poster: VAPI, posting a call's events --------------------------------------------------------


def turn_events(turn: int) -> list[dict[str, Any]]:
    """One turn as VAPI tells it: about a dozen posts."""
    user = f"please read me order number {turn} and its delivery date"
    reply = f"Order {turn} ships on Friday."
    words = user.split()
    events: list[dict[str, Any]] = [{"type": "speech-update", "status": "started", "role": "user"}]
    for n in (2, 4, 6, 8, 10):
        events.append(
            {
                "type": "transcript",
                "role": "user",
                "transcriptType": "partial",
                "transcript": " ".join(words[:n]),
            }
        )
    messages = [{"role": "user", "message": user}, {"role": "bot", "message": reply}]
    events += [
        {"type": "transcript", "role": "user", "transcriptType": "final", "transcript": user},
        {"type": "speech-update", "status": "stopped", "role": "user"},
        {"type": "conversation-update", "messages": messages},
        {"type": "speech-update", "status": "started", "role": "assistant"},
        {"type": "transcript", "role": "assistant", "transcriptType": "final", "transcript": reply},
        {"type": "speech-update", "status": "stopped", "role": "assistant"},
    ]
    return events


async def poster(url: str, secret: str, call_id: str, count: int, seconds: float) -> None:
    import aiohttp

    stream: list[dict[str, Any]] = []
    turn = 0
    while len(stream) < count:
        turn += 1
        stream += turn_events(turn)
    stream = stream[:count]
    statuses: dict[int, int] = {}
    headers = {"X-Vapi-Secret": secret}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:

        async def send(event: dict[str, Any]) -> None:
            body = {"message": {**event, "timestamp": time.time() * 1000, "call": {"id": call_id}}}
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1

        start = time.perf_counter()
        pending = set()
        for i, event in enumerate(stream):
            await asyncio.sleep(max(0.0, start + i * seconds / count - time.perf_counter()))
            pending.add(asyncio.create_task(send(event)))
        await asyncio.gather(*pending)
    print(json.dumps({"statuses": statuses, "took_s": time.perf_counter() - start}), flush=True)


# -- the panel ------------------------------------------------------------------------------------


def audio_counts(agent: Any) -> tuple[int, int]:
    """(underruns over every peer: gaps heard, PortAudio output xruns) so far."""
    underruns = sum(s.underruns for s in agent.levels().peers)
    playback = agent.devices.playback
    return underruns, (playback.xruns if playback is not None else 0)


async def panel(
    url: str, room_id: str, count: int, seconds: float, presenter: bool = False
) -> dict[str, Any]:
    from voicepanel.session.local_agent import LocalAgent
    from voicepanel.session.profiles import SecretName

    # A profile on the sandbox at ``url``: a local VAPI posts to loopback, no tunnel needed.
    window, host = await open_panel(url)
    ws = host.workspace
    assert ws is not None and ws.live is not None
    echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room_id, assistant_id=echo)
    agent = LocalAgent(ws, room_id)
    await agent.join()
    await agent.load_devices()
    assert await agent.set_output_device(None), "no speaker"
    await asyncio.sleep(WARMUP_S)

    results: dict[str, Any] = {}
    # With presenter mode: the flood again with it open, then once more with it closed, so
    # its cost is read against the runs on either side (the panel's state grows as events
    # are journaled and shown, and later floods cost more for that alone).
    phases = ("baseline", "events")
    if presenter:
        phases += ("presenter", "events again")
    shown = None
    for phase in phases:
        if shown is not None:
            shown.close()
            shown = None
            await asyncio.sleep(1.0)
        if phase == "presenter":
            from voicepanel.ui.presenter_window import open_presenter

            shown = open_presenter(
                window, host, (room_id, None, None), window.settings, window.feedback
            )
            assert shown is not None
            shown.resize(1920, 1080)
            await asyncio.sleep(1.0)
        # Each window starts from a full collection: one over the panel's ~250,000 objects
        # takes 0.2-0.9 s here, and it would land in whichever window reached the count.
        gc.collect()
        before = audio_counts(agent)
        accepted = ws.live.receiver.accepted
        cpu0, wall0 = time.process_time(), time.perf_counter()
        meter = StallMeter()
        meter.start()
        if phase != "baseline":
            secret = ws._secrets.get(ws.profile.name, SecretName.EVENTS_SECRET)  # noqa: SLF001
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "poster",
                ws.live.receiver.local_url,
                str(secret),
                record.id,
                str(count),
                str(seconds),
                stdout=subprocess.PIPE,
            )
            out, _ = await process.communicate()
            results[f"poster_{phase}"] = json.loads(out.decode().strip().splitlines()[-1])
            await asyncio.sleep(0.5)  # the last flush reaches the card
        else:
            await asyncio.sleep(seconds)
        meter.stop()
        gaps = sorted(g * 1000 for g in meter.gaps)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        after = audio_counts(agent)
        results[phase] = {
            "longest_ms": gaps[-1],
            "p99_ms": gaps[int(len(gaps) * 0.99)],
            "median_ms": statistics.median(gaps),
            "over_20ms": sum(1 for g in gaps if g > 20),
            "cpu_pct": 100 * cpu,
            "underruns": after[0] - before[0],
            "xruns": after[1] - before[1],
            "events_taken": ws.live.receiver.accepted - accepted,
        }
    conversation = ws.calls.conversation(record.id)
    results["card_lines"] = len(conversation.lines)
    results["peers_heard"] = len(agent.levels().peers)
    await agent.leave()
    window._quitting = True  # noqa: SLF001 - no quit prompt in a benchmark
    await host.close()
    window.close()
    return results


def run_panel(
    url: str, room_id: str, count: int, seconds: float, presenter: bool
) -> dict[str, Any]:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(panel(url, room_id, count, seconds, presenter))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "world":
        asyncio.run(world())
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "poster":
        url, secret, call_id, count, seconds = sys.argv[2:7]
        asyncio.run(poster(url, secret, call_id, int(count), float(seconds)))
        return 0
    parser = argparse.ArgumentParser(description="Live events arriving while audio plays.")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--presenter", action="store_true", help="again with presenter mode open, then closed"
    )
    args = parser.parse_args()

    from audio_pulse import start_pulse, stop_daemon

    pulse = start_pulse()
    os.environ.update(pulse.env)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    home = Path(tempfile.mkdtemp(prefix="voicepanel-live-load-home-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    world_proc = subprocess.Popen(
        [sys.executable, __file__, "world"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert world_proc.stdout is not None
        info = json.loads(world_proc.stdout.readline())
        import sounddevice as sd

        sd._terminate()  # PortAudio looks again, and finds the private PulseAudio
        sd._initialize()
        results = run_panel(info["url"], info["room"], args.events, args.seconds, args.presenter)
    finally:
        if world_proc.stdin is not None:
            world_proc.stdin.close()
        world_proc.wait(timeout=30)
        stop_daemon(pulse)
    columns = [results["baseline"], results["events"]]
    heads = ["no events", f"{args.events} events in {args.seconds:.0f} s"]
    if args.presenter:
        columns += [results["presenter"], results["events again"]]
        heads += ["the same, presenter mode open", "the same, presenter mode closed"]
    load = results["events"]
    print(
        f"events posted: {args.events} in {results['poster_events']['took_s']:.1f} s, answers "
        f"{results['poster_events']['statuses']}, taken by the receiver: {load['events_taken']}"
    )
    print(
        f"transcript lines in the card: {results['card_lines']}, peers heard by the agent: "
        f"{results['peers_heard']}"
    )

    def row(label: str, cells: list[str]) -> None:
        print(f"| {label} | " + " | ".join(cells) + " |")

    row("5 ms timer, local agent playing", heads)
    print("|---|" + "---:|" * len(columns))
    for key, label in (
        ("longest_ms", "longest loop gap"),
        ("p99_ms", "loop gap p99"),
        ("median_ms", "loop gap median"),
    ):
        row(label, [f"{c[key]:.1f} ms" for c in columns])
    row("gaps over 20 ms", [str(c["over_20ms"]) for c in columns])
    row("panel process CPU (% of one core)", [f"{c['cpu_pct']:.0f} %" for c in columns])
    row("underruns, all peers", [str(c["underruns"]) for c in columns])
    row("output xruns (PortAudio)", [str(c["xruns"]) for c in columns])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
