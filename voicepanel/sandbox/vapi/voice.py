"""The sandbox assistants' voice: their lines as words from `voicepanel.speech`.

Synthesis runs on a worker thread, so a line being prepared never delays frames already
playing. If the speech engine cannot load, lines are spoken as tones as long as the text
(see tones.py) and the reason is logged once; transcripts keep the words either way.
"""

from __future__ import annotations

import logging

from voicepanel.speech import SpeechUnavailable, synthesize_async

from . import tones

log = logging.getLogger(__name__)

_warned = False


async def speak(text: str, sample_rate: int) -> bytes:
    """`text` as PCM16 mono at `sample_rate`."""
    global _warned
    try:
        return await synthesize_async(text, sample_rate)
    except SpeechUnavailable as unavailable:
        if not _warned:
            _warned = True
            log.warning("%s The sandbox's assistants speak in tones instead.", unavailable)
        return tones.spoken_phrase(text, sample_rate)
