"""Text to PCM16 mono at the rate the caller needs: eSpeak NG's 22,050 Hz, resampled by soxr.

`synthesize` blocks for a few milliseconds per sentence (see docs/benchmarks.md) and is safe
to call from any thread; recent results are cached, since assistants repeat their lines.
`synthesize_async` runs it on a worker thread so an event loop with audio deadlines never
waits on it.
"""

from __future__ import annotations

import asyncio
import functools

import numpy as np
import soxr

from voicepanel.speech.engine import engine

DEFAULT_VOICE = "en-us"
DEFAULT_WORDS_PER_MINUTE = 175  # eSpeak NG's own default
MIN_WORDS_PER_MINUTE, MAX_WORDS_PER_MINUTE = 80, 450
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 96000
MAX_TEXT_CHARS = 10_000  # about ten minutes of speech


def synthesize(
    text: str,
    sample_rate: int = 16000,
    *,
    voice: str = DEFAULT_VOICE,
    words_per_minute: int | None = None,
) -> bytes:
    """`text` spoken as PCM16 little-endian mono at `sample_rate`.

    Raises SpeechUnavailable when the engine cannot load, ValueError for an unusable
    argument (too long a text, an unknown voice, a rate out of range)."""
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ValueError(
            f"sample_rate must be from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, "
            f"not {sample_rate}."
        )
    wpm = DEFAULT_WORDS_PER_MINUTE if words_per_minute is None else words_per_minute
    if not MIN_WORDS_PER_MINUTE <= wpm <= MAX_WORDS_PER_MINUTE:
        raise ValueError(
            f"words_per_minute must be from {MIN_WORDS_PER_MINUTE} to {MAX_WORDS_PER_MINUTE}."
        )
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"The text is {len(text)} characters; at most {MAX_TEXT_CHARS} are spoken."
        )
    if not text.strip():
        return b""
    return _cached(text, sample_rate, voice, wpm)


async def synthesize_async(
    text: str,
    sample_rate: int = 16000,
    *,
    voice: str = DEFAULT_VOICE,
    words_per_minute: int | None = None,
) -> bytes:
    """`synthesize` on a worker thread."""
    return await asyncio.to_thread(
        synthesize, text, sample_rate, voice=voice, words_per_minute=words_per_minute
    )


@functools.lru_cache(maxsize=128)
def _cached(text: str, sample_rate: int, voice: str, words_per_minute: int) -> bytes:
    speech = engine()
    samples = speech.render(text, voice, words_per_minute)
    if sample_rate != speech.sample_rate and samples.size:
        samples = soxr.resample(samples, speech.sample_rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(samples, dtype="<i2").tobytes()
