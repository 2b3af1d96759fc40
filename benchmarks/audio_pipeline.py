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
PEERS = 4
ECHO_DELAY_S = 0.4
ECHO_HANGOVER_S = 0.3  # the end-of-turn quiet the benchmark gives the sandbox
WARMUP_S = 3.0


def cpu_seconds() -> float:
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# -- world: the sandbox and four talking peers, in their own process ------------------------


async def world(peers: int) -> None:
    from fishjam.agent import OutgoingAudioTrackOptions

    from voicepanel.core.audio.pcm import to_pcm16
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
    from voicepanel.sandbox.server import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(port=0))
    await sandbox.start()
    gateway = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    room = await gateway.create_room(RoomSpec())

    async def talker(freq: float) -> None:
        agent = await gateway.create_agent(room.id)
        signal = tone(freq, 1.0, 16000)
        async with agent.connect() as session:
            track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=16000))

            async def drain() -> None:
                with contextlib.suppress(Exception):
                    async for _ in session.receive():
                        pass

            drainer = asyncio.create_task(drain())
            start = time.perf_counter()
            i = 0
            while True:
                chunk = signal[(i % 50) * 320 : (i % 50 + 1) * 320]
                await track.send_chunk(to_pcm16(chunk))
                i += 1
                await asyncio.sleep(max(0.0, start + i * 0.02 - time.perf_counter()))
            drainer.cancel()

    tasks = [asyncio.create_task(talker(300 + 110 * k)) for k in range(peers)]
    print(
        json.dumps({"url": sandbox.fishjam_url, "token": sandbox.config.token, "room": room.id}),
        flush=True,
    )
    await asyncio.to_thread(sys.stdin.read)  # until the orchestrator closes our stdin
    for task in tasks:
        task.cancel()
    await sandbox.stop()


# -- app: VoicePanel's LocalAgent with the timing probe ------------------------------------


async def app(
    url: str, token: str, room: str, seconds: float, lead_frames: float | None = None
) -> dict[str, Any]:
    from voicepanel.core.audio.probe import PipelineProbe
    from voicepanel.core.fishjam_gateway import FishjamGateway
    from voicepanel.session.local_agent import LocalAgent

    agent = LocalAgent(FishjamGateway(url, token), room)
    if lead_frames is not None:
        agent.devices.lead_s = lead_frames * agent.frame_s
    await agent.join()
    agent.load_devices()
    assert agent.set_input_device(None) and agent.set_output_device(None)
    await asyncio.sleep(WARMUP_S)
    before = {s.peer_id: (s.underruns, s.overruns) for s in agent.levels().peers}
    playback = agent.devices.playback
    assert playback is not None
    dry0 = playback.underrun_blocks
    agent.probe = probe = PipelineProbe()
    targets: list[float] = []
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    end = time.perf_counter() + seconds - WARMUP_S
    while time.perf_counter() < end:
        await asyncio.sleep(0.1)
        targets += [s.target_ms for s in agent.levels().peers]
    cpu = (cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    strips = agent.levels().peers
    speaker_dry = playback.underrun_blocks - dry0
    await agent.leave()
    return {
        "cpu_pct": 100 * cpu,
        "uplink_s": probe.uplink_s,
        "downlink_s": probe.downlink_s,
        "downlink_buffered_s": probe.downlink_buffered_s,
        "peers": len(strips),
        "underruns": sum(s.underruns - before.get(s.peer_id, (0, 0))[0] for s in strips),
        # After the warm-up, like the underruns: joining fills the buffers with a burst.
        "overruns": sum(s.overruns - before.get(s.peer_id, (0, 0))[1] for s in strips),
        "speaker_dry_blocks": speaker_dry,
        "jitter_target_ms": [min(targets), statistics.mean(targets), max(targets)]
        if targets
        else None,
        "speaker_lead_ms": agent.devices.lead_s * 1000,
    }


# -- echo: voice-to-voice against the Echo assistant ---------------------------------------


async def echo(turns: int) -> dict[str, Any]:
    from voicepanel.core.audio.wav import write_wav
    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
    from voicepanel.core.vapi_gateway import VapiGateway
    from voicepanel.sandbox.server import Sandbox, SandboxConfig
    from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID
    from voicepanel.session.local_agent import LocalAgent

    config = SandboxConfig(port=0, reply_delay_s=ECHO_DELAY_S, end_of_turn_s=ECHO_HANGOVER_S)
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
    agent.load_devices()
    assert agent.set_output_device(None)
    await asyncio.sleep(1.0)
    agent.play_file(wav)
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


def orchestrate(
    seconds: float, turns: int, lead_frames: float | None = None, bare: bool = True
) -> None:
    sys.path.insert(0, str(HERE))
    from audio_pulse import start_pulse, stop_daemon

    pulse = start_pulse()
    env = dict(pulse.env)
    env["PYTHONUNBUFFERED"] = "1"
    world_proc = None
    mic = None
    try:
        world_proc = subprocess.Popen(
            [sys.executable, __file__, "world", "--peers", str(PEERS)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert world_proc.stdout is not None
        info = json.loads(world_proc.stdout.readline())
        wav = pulse.runtime_dir / "mic.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes((tone(523, 4 * seconds + 30, 44100) * 32767).astype("<i2").tobytes())
        mic = subprocess.Popen(["paplay", "-d", "mic", str(wav)], env=env)
        common = [
            "--url",
            info["url"],
            "--token",
            info["token"],
            "--room",
            info["room"],
            "--seconds",
            str(seconds),
        ]
        lead = [] if lead_frames is None else ["--lead-frames", str(lead_frames)]
        app_result = child([__file__, "app", *common, *lead], env)
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
        if world_proc is not None and world_proc.stdin is not None:
            world_proc.stdin.close()
            try:
                world_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                world_proc.kill()
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
    print(
        f"| underruns, all peers (gaps heard) | {app_r['underruns']} "
        f"| {bare_r.get('underruns', '-')} |"
    )
    print(
        f"| speaker ring ran dry (blocks of 20 ms) | {app_r['speaker_dry_blocks']} "
        "| (counted in underruns) |"
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
            f"mean {targets[1]:.0f} / max {targets[2]:.0f} ms over the run, speaker lead "
            f"{app_r['speaker_lead_ms']:.0f} ms (the ring holds lead - 20 ms to lead)"
        )
    print()
    load, cores = os.getloadavg()[0], os.cpu_count() or 0
    print(f"Load average (1 min) at the end of the run: {load:.2f} on {cores} cores")
    lat = echo_r["latencies_s"]
    if lat:
        med = statistics.median(lat)
        print()
        print(
            f"Voice-to-voice with the Echo (reply delay {ECHO_DELAY_S * 1000:.0f} ms, "
            f"end-of-utterance quiet {ECHO_HANGOVER_S * 1000:.0f} ms): {len(lat)} turns, "
            f"min {min(lat) * 1000:.0f} / median {med * 1000:.0f} / max {max(lat) * 1000:.0f} ms; "
            f"pipeline beyond delay + quiet: median "
            f"{(med - ECHO_DELAY_S - ECHO_HANGOVER_S) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", default="all", choices=["all", "world", "app", "echo"])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--peers", type=int, default=PEERS)
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--room")
    parser.add_argument("--lead-frames", type=float, default=None, help="speaker lead to try")
    parser.add_argument("--no-bare", action="store_true", help="the app side only")
    a = parser.parse_args()
    if a.role == "world":
        asyncio.run(world(a.peers))
    elif a.role == "app":
        print(json.dumps(asyncio.run(app(a.url, a.token, a.room, a.seconds, a.lead_frames))))
    elif a.role == "echo":
        print(json.dumps(asyncio.run(echo(a.turns))))
    else:
        orchestrate(a.seconds, a.turns, a.lead_frames, not a.no_bare)


if __name__ == "__main__":
    main()
