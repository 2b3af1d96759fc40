"""Tonal stand-ins for speech, used only when the speech engine cannot load (voice.py).

Every function returns raw PCM s16le mono at the requested sample rate. Each tone is shaped
by a short raised-cosine fade so that joins between tones do not click.
"""

from __future__ import annotations

import numpy as np

AMPLITUDE = 0.3
FADE_S = 0.005
CHAR_S = 0.06
MAX_PHRASE_S = 6.0
MIN_PHRASE_S = 0.2


def phrase_duration_s(text: str) -> float:
    """How long the tonal rendering of `text` lasts: 60 ms per character, 0.2 s to 6 s."""
    return min(MAX_PHRASE_S, max(MIN_PHRASE_S, len(text) * CHAR_S))


def spoken_phrase(text: str, sample_rate: int) -> bytes:
    """A tone per character (spaces are pauses) so the audio's length follows the text."""
    total_s = phrase_duration_s(text)
    chars = text[: int(total_s / CHAR_S)] or " "
    parts = []
    for ch in chars:
        if ch.isspace():
            parts.append(np.zeros(int(round(CHAR_S * sample_rate))))
        else:
            # Pitches in a speech-like band; the code point picks one of 20 steps.
            freq = 220.0 + (ord(ch) % 20) * 20.0
            parts.append(_sine(freq, CHAR_S, sample_rate, AMPLITUDE))
    samples = np.concatenate(parts)
    wanted = int(round(total_s * sample_rate))
    if samples.size < wanted:
        samples = np.concatenate([samples, np.zeros(wanted - samples.size)])
    return _to_pcm(samples)


def _sine(freq_hz: float, duration_s: float, sample_rate: int, amplitude: float) -> np.ndarray:
    n = int(round(duration_s * sample_rate))
    t = np.arange(n) / sample_rate
    wave = amplitude * np.sin(2 * np.pi * freq_hz * t)
    fade = min(int(FADE_S * sample_rate), n // 2)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave


def _to_pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
