"""Local agent audio, side by side in one run (figures for docs/benchmarks.md):

1. the delay between a PortAudio callback and the WebSocket send (uplink), and between a
   WebSocket receive and the output callback that plays it (downlink): the total, the
   part that is deliberate buffering (audio queued ahead of the frame in a jitter buffer
   or the speaker's ring, there to prevent gaps), and what the app adds beyond it;
2. voice-to-voice latency against the sandbox Echo's configured reply delay;
3. CPU (% of one core, /proc/self/stat) for duplex audio with four remote peers talking,

for VoicePanel's LocalAgent and for a bare script with the SDK and sounddevice alone
(benchmarks/audio_bare_agent.py). Each side runs in its own process against a sandbox in a
third process, over a private PulseAudio (null sinks; the virtual microphone plays a tone).

    .venv/bin/python benchmarks/audio_pipeline.py [--seconds 20] [--turns 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import thread_cpu  # noqa: E402

PEERS = 4
ECHO_DELAY_S = 0.4
ECHO_QUIET_S = 0.3  # the end-of-turn quiet the benchmark gives the sandbox's Echo
WARMUP_S = 3.0


def cpu_seconds() -> float:
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# -- app: VoicePanel's LocalAgent with the timing probe ------------------------------------


async def app(
    url: str, token: str, room: str, seconds: float, echo_mode: str = "cancel"
) -> dict[str, Any]:
    from voicepanel.core.audio.echo import EchoMode
    from voicepanel.core.audio.probe import PipelineProbe
    from voicepanel.core.fishjam_gateway import FishjamGateway
    from voicepanel.session.local_agent import LocalAgent

    agent = LocalAgent(FishjamGateway(url, token), room)
    agent.set_echo_mode(EchoMode(echo_mode))
    await agent.join()
    await agent.load_devices()
    assert await agent.set_input_device(None) and await agent.set_output_device(None)
    await asyncio.sleep(WARMUP_S)
    before = {s.peer_id: (s.underruns, s.overruns) for s in agent.levels().peers}
    playback = agent.devices.playback
    assert playback is not None
    xruns0 = playback.xruns
    playback.longest_gap_s = 0.0
    agent.probe = probe = PipelineProbe()
    targets: list[float] = []
    threads0 = thread_cpu.snapshot()
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    end = time.perf_counter() + seconds - WARMUP_S
    while time.perf_counter() < end:
        await asyncio.sleep(0.1)
        targets += [s.target_ms for s in agent.levels().peers]
    wall = time.perf_counter() - wall0
    cpu = (cpu_seconds() - cpu0) / wall
    capture = agent.devices.capture
    callbacks = {playback.thread_id: "speaker callback"}
    if capture is not None:
        callbacks[capture.thread_id] = "microphone callback"
    threads = thread_cpu.by_thread(threads0, thread_cpu.snapshot(), wall, callbacks)
    strips = agent.levels().peers
    xruns = playback.xruns - xruns0
    await agent.leave()
    return {
        "cpu_pct": 100 * cpu,
        "threads": threads,
        "uplink_s": probe.uplink_s,
        "downlink_s": probe.downlink_s,
        "downlink_buffered_s": probe.downlink_buffered_s,
        "peers": len(strips),
        "underruns": sum(s.underruns - before.get(s.peer_id, (0, 0))[0] for s in strips),
        # After the warm-up, like the underruns: joining fills the buffers with a burst.
        "overruns": sum(s.overruns - before.get(s.peer_id, (0, 0))[1] for s in strips),
        "speaker_xruns": xruns,
        "speaker_late_ms": max(0.0, (playback.longest_gap_s - 0.02) * 1000),
        "jitter_target_ms": [min(targets), statistics.mean(targets), max(targets)]
        if targets
        else None,
    }


# -- echo: voice-to-voice against the Echo assistant ---------------------------------------


async def echo(turns: int) -> dict[str, Any]:
    from voicepanel.core.audio.audio_file import write_wav
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
    from voicepanel.core.vapi_gateway import VapiGateway
    from voicepanel.sandbox.server import Sandbox, SandboxConfig
    from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID
    from voicepanel.session.local_agent import LocalAgent

    config = SandboxConfig(port=0, reply_delay_s=ECHO_DELAY_S, end_of_turn_s=ECHO_QUIET_S)
    sandbox = Sandbox(config)
    await sandbox.start()
    fishjam = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    vapi = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
    room = await fishjam.create_room(RoomSpec())
    call = await vapi.create_call(assistant_id=ECHO_ASSISTANT_ID)
    await fishjam.create_vapi_peer(room.id, sandbox.config.vapi_key, call.id)
    parts = [np.zeros(4800, np.float32)]
    for _ in range(turns):
        parts += [tone(440, 0.5, 16000, 0.5), np.zeros(int(2.2 * 16000), np.float32)]
    wav = Path(tempfile.mkdtemp()) / "bursts.wav"
    write_wav(wav, np.concatenate(parts), 16000)
    agent = LocalAgent(fishjam, room.id)
    await agent.join()
    assert await agent.set_output_device(None)
    await asyncio.sleep(1.0)
    await agent.play_file(wav)
    deadline = time.monotonic() + 2.7 * turns + 10
    while len(agent.turns) < turns and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    latencies = [t.latency_s for t in agent.turns]
    await agent.leave()
    await vapi.close()
    await sandbox.stop()
    return {"latencies_s": latencies}


# -- orchestration -------------------------------------------------------------------------


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else float("nan")


def orchestrate(seconds: float, turns: int, bare: bool = True, echo_mode: str = "cancel") -> None:
    sys.path.insert(0, str(HERE))
    from audio_pulse import start_pulse, stop_daemon
    from talking_room import talking_room

    stack = contextlib.ExitStack()
    pulse = start_pulse()
    env = dict(pulse.env)
    env["PYTHONUNBUFFERED"] = "1"
    mic = None
    try:
        room = stack.enter_context(talking_room(env, PEERS))
        wav = pulse.runtime_dir / "mic.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes((tone(523, 4 * seconds + 30, 44100) * 32767).astype("<i2").tobytes())
        mic = subprocess.Popen(["paplay", "-d", "mic", str(wav)], env=env)
        common = [
            "--url",
            room.url,
            "--token",
            room.token,
            "--room",
            room.room_id,
            "--seconds",
            str(seconds),
        ]
        app_result = child([__file__, "app", *common, "--echo", echo_mode], env)
        bare_result = (
            child([str(HERE / "audio_bare_agent.py"), *common], env)
            if bare
            else {"cpu_pct": float("nan"), "uplink_s": [], "downlink_s": []}
        )
        echo_result = (
            child([__file__, "echo", "--turns", str(turns)], env) if turns else {"latencies_s": []}
        )
    finally:
        if mic is not None:
            mic.terminate()
            mic.wait()
        stack.close()
        stop_daemon(pulse)
    report(app_result, bare_result, echo_result, seconds)


def report(
    app_r: dict[str, Any], bare_r: dict[str, Any], echo_r: dict[str, Any], seconds: float
) -> None:
    print(
        f"Duplex audio, {PEERS} remote peers talking, {seconds:.0f} s "
        f"({WARMUP_S:.0f} s warm-up excluded), room 16 kHz, null sinks at 44.1 kHz (PulseAudio)"
    )
    print()
    for side in (app_r, bare_r):
        total, buffered = side["downlink_s"], side.get("downlink_buffered_s", [])
        side["downlink_added_s"] = [t - b for t, b in zip(total, buffered, strict=False)]
    print("| p50 / p99 ms | VoicePanel LocalAgent | bare SDK + sounddevice |")
    print("|---|---|---|")
    for label, key in (
        ("uplink, callback -> send (no buffering: all of it is added)", "uplink_s"),
        ("downlink total, receive -> output callback", "downlink_s"),
        ("  of which deliberate buffering (audio queued ahead)", "downlink_buffered_s"),
        ("  of which added beyond buffering (total - buffering)", "downlink_added_s"),
    ):
        a, b = app_r.get(key, []), bare_r.get(key, [])
        print(
            f"| {label} | {pct(a, 50):.1f} / {pct(a, 99):.1f} "
            f"| {pct(b, 50):.1f} / {pct(b, 99):.1f} |"
        )
    print(f"| CPU, % of one core | {app_r['cpu_pct']:.1f} | {bare_r['cpu_pct']:.1f} |")
    for side, r in (("LocalAgent", app_r), ("bare script", bare_r)):
        threads = r.get("threads") or {}
        shown = ", ".join(f"{name} {pct:.1f}" for name, pct in threads.items() if pct >= 0.05)
        print(f"|   {side} by thread | {shown} | |")
    print(
        f"| underruns, all peers (gaps heard) | {app_r['underruns']} "
        f"| {bare_r.get('underruns', '-')} |"
    )
    print(
        f"| speaker xruns (PortAudio output underflow) | {app_r['speaker_xruns']} "
        f"| {bare_r.get('speaker_xruns', '-')} |"
    )
    print(
        f"| worst speaker-callback lateness, ms | {app_r.get('speaker_late_ms', float('nan')):.1f} "
        f"| {bare_r.get('speaker_late_ms', float('nan')):.1f} |"
    )
    print(
        f"| jitter overruns (oldest audio dropped) | {app_r['overruns']} "
        "| not counted (keeps up to 1 s) |"
    )
    targets = app_r.get("jitter_target_ms")
    if targets:
        print()
        print(
            f"LocalAgent buffering settings: jitter target per peer min {targets[0]:.0f} / "
            f"mean {targets[1]:.0f} / max {targets[2]:.0f} ms over the run; the speaker's "
            "callback mixes (no ring ahead of it)"
        )
    print()
    load, cores = os.getloadavg()[0], os.cpu_count() or 0
    print(f"Load average (1 min) at the end of the run: {load:.2f} on {cores} cores")
    lat = echo_r["latencies_s"]
    quiet = ECHO_QUIET_S
    if lat:
        med = statistics.median(lat)
        print()
        print(
            f"Voice-to-voice with the Echo (reply delay {ECHO_DELAY_S * 1000:.0f} ms, "
            f"end-of-utterance quiet {quiet * 1000:.0f} ms): {len(lat)} turns, "
            f"min {min(lat) * 1000:.0f} / median {med * 1000:.0f} / max {max(lat) * 1000:.0f} ms; "
            f"pipeline beyond delay + quiet: median "
            f"{(med - ECHO_DELAY_S - quiet) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", default="all", choices=["all", "app", "echo"])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--room")
    parser.add_argument("--no-bare", action="store_true", help="the app side only")
    parser.add_argument(
        "--echo", default="cancel", choices=["cancel", "half_duplex", "off"], help="echo mode"
    )
    a = parser.parse_args()
    if a.role == "app":
        print(json.dumps(asyncio.run(app(a.url, a.token, a.room, a.seconds, a.echo))))
    elif a.role == "echo":
        print(json.dumps(asyncio.run(echo(a.turns))))
    else:
        orchestrate(a.seconds, a.turns, not a.no_bare, a.echo)


if __name__ == "__main__":
    main()
