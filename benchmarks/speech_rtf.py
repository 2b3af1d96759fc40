"""What offline text to speech (voicepanel.speech: eSpeak NG + soxr) costs.

    .venv/bin/python benchmarks/speech_rtf.py [--repeat 20]

For sentences of about 1, 4 and 12 seconds of speech, at 16 and 24 kHz, times `synthesize`
with its cache bypassed (each run is a fresh synthesis) and prints the real-time factor
(synthesis time / speech duration, lower is faster) and how much of it is resampling. Then
runs `synthesize_async` back to back on a worker thread for two seconds while a 5 ms timer
on the event loop measures how late it fires, beside the same timer with nothing else going
on: what a sandbox call's playout loop feels while a line is being prepared.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import soxr

from voicepanel.speech import synthesis
from voicepanel.speech.engine import engine

SENTENCES = {
    "short": "Hello there.",
    "medium": "Hello from the VoicePanel sandbox. Say something and I will echo it.",
    "long": (
        "Thank you for calling the order desk. Your order shipped on Monday and should "
        "arrive by Thursday. If anything is missing, say refund and I will explain how "
        "refunds work, or say agent to reach a person. Is there anything else I can do?"
    ),
}
RATES = (16000, 24000)


def measure_rtf(repeat: int) -> None:
    speech = engine()
    print(f"eSpeak NG renders at {speech.sample_rate} Hz; {repeat} runs per row")
    print(
        f"{'sentence':8} {'rate':>6} {'speech s':>8} {'RTF p50':>8} {'RTF max':>8} {'resample':>9}"
    )
    for label, text in SENTENCES.items():
        for rate in RATES:
            ratios, resample_share, seconds = [], [], 0.0
            for _ in range(repeat):
                start = time.perf_counter()
                samples = speech.render(text, "en-us", 175)
                rendered = time.perf_counter()
                soxr.resample(samples, speech.sample_rate, rate, quality="HQ")
                done = time.perf_counter()
                seconds = samples.size / speech.sample_rate
                ratios.append((done - start) / seconds)
                resample_share.append((done - rendered) / (done - start))
            print(
                f"{label:8} {rate:>6} {seconds:>8.2f} {statistics.median(ratios):>8.4f} "
                f"{max(ratios):>8.4f} {statistics.median(resample_share):>8.0%}"
            )


async def loop_lateness(busy: bool, seconds: float = 2.0) -> tuple[float, float, int]:
    """(p99, max) lateness in ms of a 5 ms timer, and how many lines were synthesized."""
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds
    lateness: list[float] = []
    lines = 0

    async def synthesize_lines() -> None:
        nonlocal lines
        while loop.time() < stop:
            text = f"{SENTENCES['long']} Line {lines}."  # a new text each time: no cache
            await synthesis.synthesize_async(text, 16000)
            lines += 1

    worker = asyncio.create_task(synthesize_lines()) if busy else None
    while loop.time() < stop:
        due = loop.time() + 0.005
        await asyncio.sleep(0.005)
        lateness.append((loop.time() - due) * 1000)
    if worker is not None:
        await worker
    lateness.sort()
    return lateness[int(0.99 * (len(lateness) - 1))], lateness[-1], lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    measure_rtf(args.repeat)
    idle_p99, idle_max, _ = asyncio.run(loop_lateness(busy=False))
    busy_p99, busy_max, lines = asyncio.run(loop_lateness(busy=True))
    print(
        f"5 ms loop timer lateness, idle: p99 {idle_p99:.2f} ms, max {idle_max:.2f} ms; "
        f"while synthesizing {lines} long lines on a worker thread: "
        f"p99 {busy_p99:.2f} ms, max {busy_max:.2f} ms"
    )


if __name__ == "__main__":
    main()
