"""The window may stall; the sound may not. A local agent plays a peer that talks
without a break (in another process, as another computer would), over the real
PulseAudio path, while the thread that runs the window's loop is kept busy twice for
500 ms (Python work holding the interpreter, as a long repaint or a burst of
notifications does): the recorded speaker output has no gap and the peer never underran,
because the agent's audio runs on its own thread."""

from __future__ import annotations

import asyncio
import sys
import time

import numpy as np
from audio_signals import peak_frequency
from room_helpers import wait_for
from talking_room import talker_frequency, talking_room

from voicepanel.core.fishjam_gateway import FishjamGateway
from voicepanel.session.local_agent import LocalAgent

RATE = 16000
WINDOW_S = 0.01  # any gap of 20 ms or more silences at least one whole window
NEAR_SILENT_RMS = 0.02  # the talker's tone is at ~0.21 RMS
STALL_S = 0.5


def busy_for(seconds: float) -> None:
    """Keeps this thread busy in Python, as a stalled Qt event loop would."""
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1


def near_silent_windows(audio: np.ndarray, rate: int) -> int:
    size = int(WINDOW_S * rate)
    windows = audio[: len(audio) // size * size].reshape(-1, size)
    return int(np.sum(np.sqrt(np.mean(windows**2, axis=1)) < NEAR_SILENT_RMS))


async def test_a_500_ms_stall_of_the_window_thread_is_no_gap_in_the_sound(pulse, tmp_path) -> None:
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as the app runs (app.tune_runtime)
    with talking_room(pulse.env, peers=1) as room:
        gateway = FishjamGateway(room.url, room.token)
        local = LocalAgent(gateway, room.room_id)
        errors = []
        local.on_error.subscribe(errors.append)
        await local.join()
        try:
            assert await local.set_output_device(None)
            assert await local.set_input_device(None)  # the uplink runs too
            await wait_for(
                lambda: local.devices.playback.callbacks > 50, 5, "the speaker to run steadily"
            )
            await wait_for(
                lambda: any(p.level.rms_dbfs > -20 for p in local.levels().peers),
                5,
                "the talker to be heard",
            )
            await asyncio.sleep(1.0)  # past the start of the talk
            before = [s.underruns for s in local.levels().peers]
            recording = pulse.record_speaker(tmp_path / "spk.raw", RATE)
            await asyncio.sleep(1.0)
            busy_for(STALL_S)  # the window's thread stalls
            await asyncio.sleep(0.3)
            busy_for(STALL_S)  # and again
            await asyncio.sleep(1.0)
            heard = recording.stop()
            after = [s.underruns for s in local.levels().peers]
            playback = local.devices.playback
            assert playback is not None
        finally:
            await local.leave()
            await gateway.close()
            sys.setswitchinterval(switch)
    assert not errors
    assert len(heard) > 2.5 * RATE
    steady = heard[int(0.2 * RATE) :]  # the recorder's own start-up
    assert abs(peak_frequency(steady, RATE) - talker_frequency(0)) < 3
    assert near_silent_windows(steady, RATE) == 0
    # The buffer may have grown once while the talk began (that is its job); while the
    # window stalled, nothing.
    assert after == before
    assert playback.xruns == 0
