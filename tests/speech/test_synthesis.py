"""Offline text to speech: words become audio at the rate asked for, the same from any
thread, without blocking the event loop, and refusals say why."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from voicepanel.speech import MAX_TEXT_CHARS, synthesis, synthesize, synthesize_async


def seconds(pcm: bytes, rate: int) -> float:
    return len(pcm) / 2 / rate


def voiced_share(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frame = rate // 50
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    return float(np.mean(np.sqrt(np.mean(frames**2, axis=1)) > 300))


def test_a_sentence_is_speech_of_a_plausible_length_at_each_rate() -> None:
    text = "Hello from the VoicePanel sandbox. Say something and I will echo it."
    at_16k, at_24k = synthesize(text, 16000), synthesize(text, 24000)

    assert 2.5 < seconds(at_16k, 16000) < 6.0  # about 12 words at 175 words a minute
    assert seconds(at_24k, 24000) == pytest.approx(seconds(at_16k, 16000), abs=0.01)
    assert voiced_share(at_16k, 16000) > 0.6
    spectrum = np.abs(np.fft.rfft(np.frombuffer(at_16k, dtype="<i2")))
    freqs = np.fft.rfftfreq(len(at_16k) // 2, 1 / 16000)
    speech_band = spectrum[(freqs > 100) & (freqs < 4000)].sum()
    assert speech_band > 0.8 * spectrum.sum()


def test_longer_text_is_longer_speech_and_faster_words_are_shorter() -> None:
    short = synthesize("One two three.", 16000)
    long = synthesize("One two three four five six seven eight nine ten.", 16000)
    fast = synthesize(
        "One two three four five six seven eight nine ten.", 16000, words_per_minute=350
    )
    assert seconds(long, 16000) > 2 * seconds(short, 16000)
    assert seconds(fast, 16000) < 0.7 * seconds(long, 16000)


def envelope(pcm: bytes) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: samples.size // 320 * 320].reshape(-1, 320)
    return np.sqrt(np.mean(frames**2, axis=1))


def test_many_threads_at_once_get_what_one_thread_gets() -> None:
    texts = [f"Line {n}: " + "the quick brown fox " * (1 + n % 4) for n in range(12)]
    synthesis._cached.cache_clear()
    alone = [envelope(synthesize(t, 16000)) for t in texts]
    synthesis._cached.cache_clear()  # every line synthesized afresh, six at a time
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = [envelope(p) for p in pool.map(lambda t: synthesize(t, 16000), texts)]
    # eSpeak varies its output slightly per run; interleaved lines would not match at all.
    for one, other in zip(alone, together, strict=True):
        assert abs(one.size - other.size) <= 1
        n = min(one.size, other.size)
        assert np.corrcoef(one[:n], other[:n])[0, 1] > 0.9


async def test_the_async_form_leaves_the_loop_free() -> None:
    loop = asyncio.get_running_loop()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = loop.time()
    pcm = await synthesize_async("The loop keeps running while this line is made. " * 4, 16000)
    ticker.cancel()
    assert pcm == synthesize("The loop keeps running while this line is made. " * 4, 16000)
    assert ticks > 0, f"the loop did not run for {loop.time() - started:.3f} s"


def test_what_cannot_be_spoken_is_refused_saying_why() -> None:
    assert synthesize("   ", 16000) == b""
    with pytest.raises(ValueError, match="at most"):
        synthesize("a" * (MAX_TEXT_CHARS + 1), 16000)
    with pytest.raises(ValueError, match="no voice named"):
        synthesize("Hello.", 16000, voice="xx-nowhere")
    with pytest.raises(ValueError, match="sample_rate"):
        synthesize("Hello.", 1000)
    assert synthesize("Hello.", 16000)  # the engine is still fine afterwards
