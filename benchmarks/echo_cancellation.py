"""Echo cancellation: how much echo it removes (ERLE) and what it costs (CPU, % of one
core), with processing on side by side with processing off, at 16 kHz and 48 kHz mono.

The workload is real-time equivalent: 20 s of speech-like far end with its echo in a
synthetic room (60 ms, -6 dB, a short room response), 5 s of it with someone talking over
it, a -65 dBFS noise floor, processed in 20 ms frames as the local agent does. CPU is
``time.process_time`` (every thread of the process, the native APM's included) over the
audio's duration; ERLE is measured on the echo-only stretch after convergence, both from
the known echo ("true") and by the live ErleMeter ("meter").

    .venv/bin/python benchmarks/echo_cancellation.py [--seconds 20] [--repeat 3]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voicepanel.core.audio.echo import (
    EchoCanceller,
    EchoState,
    ErleMeter,
    GateMode,
    HalfDuplexGate,
)
from voicepanel.core.audio.echo.probe import echo_of, speech_like

FRAME_MS = 20
CONVERGED_S = 3.0
TALK_S = 5.0


@dataclass(frozen=True)
class Scene:
    rate: int
    far: np.ndarray
    echo: np.ndarray
    near: np.ndarray
    talk_from: int
    """First sample with near-end talk; echo only before it."""


@dataclass(frozen=True)
class Result:
    label: str
    rate: int
    cpu_percent: float
    true_erle_db: float
    meter_erle_db: float | None


def make_scene(rate: int, seconds: float) -> Scene:
    far = speech_like(rate, seconds, seed=1, level_db=-20.0)
    echo = echo_of(far, rate, delay_ms=60.0, gain_db=-6.0)
    talk = speech_like(rate, seconds, seed=7, level_db=-24.0)
    talk_from = int((seconds - TALK_S) * rate)
    talk[:talk_from] = 0.0
    noise = np.random.default_rng(3).standard_normal(len(far)) * 10 ** (-65 / 20)
    return Scene(rate, far, echo, (echo + talk + noise).astype(np.float32), talk_from)


Process = Callable[[np.ndarray, np.ndarray], np.ndarray]


def canceller_process(rate: int, **stages: bool) -> tuple[Process, str]:
    canceller = EchoCanceller(rate, stream_delay_ms=60, **stages)
    if canceller.state is EchoState.UNAVAILABLE:
        raise SystemExit(f"{canceller.unavailable}")

    def process(far: np.ndarray, near: np.ndarray) -> np.ndarray:
        canceller.process_far(far)
        return canceller.process_near(near)

    return process, canceller.state.value


def gate_process(rate: int) -> tuple[Process, str]:
    # Barge-in above the echo's loudest syllables (about -16 dBFS here), as set up for a room.
    gate = HalfDuplexGate(rate, mode=GateMode.DUCK, barge_in_db=-10.0)

    def process(far: np.ndarray, near: np.ndarray) -> np.ndarray:
        gate.observe_far(far)
        return gate.process_near(near)

    return process, "gate"


def run(label: str, scene: Scene, make: Callable[[], tuple[Process, str]]) -> Result:
    process, _ = make()
    meter = ErleMeter(scene.rate, echo_delay_ms=60.0)
    size = scene.rate * FRAME_MS // 1000
    out = np.zeros_like(scene.near)
    meter_erle: float | None = None
    started = time.process_time()
    for start in range(0, len(scene.near) - size + 1, size):
        s = slice(start, start + size)
        out[s] = process(scene.far[s], scene.near[s])
        reading = meter.update(scene.far[s], scene.near[s], out[s])
        if start < scene.talk_from:
            meter_erle = reading.erle_db
    cpu = time.process_time() - started
    seconds = len(scene.near) / scene.rate
    echo_only = slice(int(CONVERGED_S * scene.rate), scene.talk_from)
    e_in = float(np.mean(scene.near[echo_only].astype(np.float64) ** 2))
    e_out = float(np.mean(out[echo_only].astype(np.float64) ** 2))
    true_erle = 10.0 * np.log10(e_in / max(e_out, 1e-20))
    return Result(label, scene.rate, 100.0 * cpu / seconds, true_erle, meter_erle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    configs: list[tuple[str, Callable[[int], tuple[Process, str]]]] = [
        ("off (passthrough)", lambda r: canceller_process(r, aec=False, ns=False, hpf=False)),
        ("AEC", lambda r: canceller_process(r, aec=True, ns=False, hpf=False)),
        ("AEC + NS + HPF (default)", lambda r: canceller_process(r)),
        ("half-duplex gate (duck -30 dB)", gate_process),
    ]
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{args.seconds:.0f} s of audio per run, {FRAME_MS} ms frames, median of {args.repeat}")
    print()
    print("| rate | processing | CPU, % of one core | ERLE true (dB) | ERLE meter (dB) |")
    print("|---|---|---|---|---|")
    for rate in (16000, 48000):
        scene = make_scene(rate, args.seconds)
        for label, factory in configs:
            runs = [run(label, scene, lambda f=factory, r=rate: f(r)) for _ in range(args.repeat)]
            cpu = statistics.median(r.cpu_percent for r in runs)
            last = runs[-1]
            meter = "-" if last.meter_erle_db is None else f"{last.meter_erle_db:.1f}"
            print(f"| {rate} | {label} | {cpu:.2f} | {last.true_erle_db:.1f} | {meter} |")


if __name__ == "__main__":
    main()
