"""Offline text to speech from a package: eSpeak NG, shipped inside the `espeakng-loader`
wheel with its voice data, so nothing is downloaded at run time.

    pcm = synthesize("Hello there.", sample_rate=16000)        # PCM16 mono bytes
    pcm = await synthesize_async("Hello there.", 24000)        # the same, on a worker thread

A leaf package: it imports nothing else of VoicePanel and no Qt, so the sandbox, the
app's layers and a scenario runner can all use it. `SpeechUnavailable` says why the engine
could not be loaded.
"""

from voicepanel.speech.engine import NATIVE_SAMPLE_RATE, SpeechUnavailable
from voicepanel.speech.synthesis import (
    DEFAULT_VOICE,
    MAX_TEXT_CHARS,
    synthesize,
    synthesize_async,
)

__all__ = [
    "DEFAULT_VOICE",
    "MAX_TEXT_CHARS",
    "NATIVE_SAMPLE_RATE",
    "SpeechUnavailable",
    "synthesize",
    "synthesize_async",
]
