"""EchoControl, the local agent's single echo object: far frames in, microphone samples
in odd-sized device reads out as cleaned whole frames, and a status for the panel."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from voicepanel.core.audio.echo import EchoControl, EchoMode, EchoState, describe
from voicepanel.core.audio.echo.probe import echo_of, speech_like

RATE = 16000
FRAME = 320


def energy(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def converse(control: EchoControl, far: np.ndarray, near: np.ndarray, read: int = 250):
    """Far frames of 20 ms, microphone reads of ``read`` samples, as the loop sees them."""
    out = []
    fed = 0
    for start in range(0, len(far) - FRAME + 1, FRAME):
        control.far(far[start : start + FRAME])
        while fed < start + FRAME:
            out.append(control.near(near[fed : fed + read]))
            fed += read
    return np.concatenate(out), fed


def test_odd_sized_microphone_reads_come_out_as_whole_cleaned_frames():
    far = speech_like(RATE, 8.0, seed=1)
    echo = echo_of(far, RATE, delay_ms=60.0, gain_db=-6.0)
    control = EchoControl(RATE, output_device_name="Built-in Audio Analog Stereo")
    control.set_stream_delay_ms(60)

    out, fed = converse(control, far, echo)

    assert len(out) % FRAME == 0
    assert len(out) + control.pending_samples == fed
    last = slice(5 * RATE, len(out))
    assert 10 * np.log10(energy(echo[last]) / energy(out[last])) >= 25.0
    status = control.status()
    assert status.mode is EchoMode.CANCEL and status.canceller is EchoState.ACTIVE
    assert status.erle_db is not None and status.erle_db >= 25.0
    assert not status.echo_leaking and not status.suggest_headset
    assert describe(status).startswith("Echo cancellation on: ")


def test_without_a_canceller_the_microphone_is_held_back_while_the_room_speaks(monkeypatch):
    monkeypatch.setitem(sys.modules, "livekit", None)
    far = speech_like(RATE, 2.0, seed=1, pauses=False)
    echo = echo_of(far, RATE, delay_ms=60.0, gain_db=-15.0)
    control = EchoControl(RATE)

    out, _ = converse(control, far, echo)

    status = control.status()
    assert status.requested is EchoMode.CANCEL and status.mode is EchoMode.HALF_DUPLEX
    assert status.held_back
    assert status.problem is not None and "unavailable" in status.problem.message
    assert 10 * np.log10(energy(echo[RATE:]) / energy(out[RATE:])) >= 25.0
    assert describe(status).startswith("Half-duplex: microphone held back")


@pytest.mark.parametrize(
    ("output", "suggest"), [("MacBook Pro Speakers", True), ("Jabra Evolve 65", False)]
)
def test_echo_left_in_raises_the_warning_and_the_headset_hint_for_open_speakers(output, suggest):
    far = speech_like(RATE, 8.0, seed=1, pauses=False)
    echo = echo_of(far, RATE, delay_ms=60.0, gain_db=-6.0)
    control = EchoControl(RATE, mode=EchoMode.OFF, output_device_name=output)

    converse(control, far, echo)

    status = control.status()
    assert status.echo_leaking
    assert status.suggest_headset is suggest
    assert describe(status) == "Echo cancellation off - the room can hear its own voice"


def test_switching_back_to_cancellation_relearns_the_echo_path():
    far = speech_like(RATE, 12.0, seed=2)
    echo = echo_of(far, RATE, delay_ms=60.0, gain_db=-6.0)
    control = EchoControl(RATE, mode=EchoMode.OFF)

    converse(control, far[: 4 * RATE], echo[: 4 * RATE])
    control.set_mode(EchoMode.CANCEL)
    out, _ = converse(control, far[4 * RATE :], echo[4 * RATE :])

    last = slice(5 * RATE, len(out))
    assert 10 * np.log10(energy(echo[4 * RATE :][last]) / energy(out[last])) >= 25.0
    assert control.status().mode is EchoMode.CANCEL
