"""The audio tests' sound server: one private PulseAudio daemon for the whole session
(pulse_rig.py), with PortAudio re-initialised to see it. A machine without PulseAudio fails
these tests with the apt command; it never skips them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pulse_rig import APT_HINT, PulseRig, PulseUnavailable, start_daemon, stop_daemon


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseRig]:
    """Our own PulseAudio for the whole session, with PortAudio re-initialised to see it."""
    try:
        rig = start_daemon()
    except PulseUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
    os.environ["XDG_RUNTIME_DIR"] = rig.env["XDG_RUNTIME_DIR"]
    os.environ["PULSE_SERVER"] = rig.env["PULSE_SERVER"]
    try:
        import sounddevice as sd
    except OSError:
        stop_daemon(rig)
        pytest.fail(APT_HINT, pytrace=False)
    # PortAudio enumerates devices once, at initialisation: make it look again.
    sd._terminate()
    sd._initialize()
    try:
        yield rig
    finally:
        sd._terminate()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stop_daemon(rig)
        sd._initialize()
