"""The audio benchmarks' private PulseAudio: the same daemon the audio tests use
(tests/audio/pulse_rig.py), for scripts outside pytest."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "audio"))

from pulse_rig import PulseRig, PulseUnavailable, start_daemon, stop_daemon  # noqa: E402

__all__ = ["PulseRig", "start_pulse", "stop_daemon"]


def start_pulse() -> PulseRig:
    try:
        return start_daemon()
    except PulseUnavailable as error:
        raise SystemExit(str(error)) from None
