"""Guessing from an output device's name whether it plays into the room (laptop or desk
speakers: echo is likely, suggest a headset) or into someone's ears."""

from __future__ import annotations

import re
from enum import Enum


class OutputKind(Enum):
    SPEAKERS = "speakers"
    """Open-air: built-in, desk or monitor speakers. Echo likely."""
    HEADSET = "headset"
    """Headphones, headsets, earbuds. Little or no echo."""
    UNKNOWN = "unknown"


# Headset words win over speaker words: Windows names a USB headset's output
# "Speakers (Jabra Evolve 65)" and Bluetooth headsets "Headset Earphone (...)".
_HEADSET = re.compile(
    r"head ?set|head ?phone|ear ?phone|ear ?bud|earpiece|in-ear|airpods|hands-?free|"
    r"\bhfp\b|\bhsp\b|jabra|plantronics|\bpoly\b|sennheiser|epos|logitech (g|h)\d|"
    r"hyperx|steelseries|\bbuds\b|\busb\b.*\baudio\b|bluetooth|\bbt\b|bluez"
)
_SPEAKERS = re.compile(
    r"speaker|built-?in|internal|analog stereo|analog surround|\banalog\b|hdmi|displayport|"
    r"realtek|hda intel|\bhda\b|conexant|cirrus|sof-hda|macbook|imac"
)


def classify_output_device(name: str) -> OutputKind:
    lowered = name.lower()
    if _HEADSET.search(lowered):
        return OutputKind.HEADSET
    if _SPEAKERS.search(lowered):
        return OutputKind.SPEAKERS
    return OutputKind.UNKNOWN


def looks_like_builtin_speakers(output_device_name: str) -> bool:
    """True when the name suggests open-air speakers, where a headset would stop echo."""
    return classify_output_device(output_device_name) is OutputKind.SPEAKERS
