"""The half-duplex fallback: the microphone is held back while the room speaks, and a
person talking loudly over it still gets through."""

from __future__ import annotations

import numpy as np
import pytest

from voicepanel.core.audio.echo import GateMode, HalfDuplexGate
from voicepanel.core.audio.echo.levels import rms_dbfs
from voicepanel.core.audio.echo.probe import echo_of, speech_like

RATE = 16000
FRAME = RATE // 100


def frames(x: np.ndarray):
    for start in range(0, len(x) - FRAME + 1, FRAME):
        yield slice(start, start + FRAME)


def run(gate: HalfDuplexGate, far: np.ndarray, near: np.ndarray):
    out = np.zeros_like(near)
    held = np.zeros(len(near) // FRAME, dtype=bool)
    for i, s in enumerate(frames(near)):
        gate.observe_far(far[s])
        out[s] = gate.process_near(near[s])
        held[i] = gate.held_back
    return out, held


def level_change_db(before: np.ndarray, after: np.ndarray) -> float:
    return rms_dbfs(after) - rms_dbfs(before)


@pytest.mark.parametrize(("mode", "expected_db"), [(GateMode.DUCK, -30.0), (GateMode.MUTE, None)])
def test_the_echo_is_held_back_while_the_far_end_plays(mode, expected_db):
    far = speech_like(RATE, 3.0, seed=1, level_db=-20.0, pauses=False)
    echo = echo_of(far, RATE, delay_ms=60, gain_db=-15.0)  # about -35 dBFS in the mic
    gate = HalfDuplexGate(RATE, barge_in_db=-25.0, mode=mode, duck_db=-30.0)

    out, held = run(gate, far, echo)

    steady = slice(RATE // 2, 3 * RATE)
    assert held[50:].mean() > 0.95
    if expected_db is None:
        assert not np.any(out[steady])
    else:
        assert level_change_db(echo[steady], out[steady]) == pytest.approx(expected_db, abs=1.0)


def test_a_loud_barge_in_passes_and_the_indicator_says_so():
    far = speech_like(RATE, 3.0, seed=1, level_db=-20.0, pauses=False)
    echo = echo_of(far, RATE, delay_ms=60, gain_db=-15.0)
    shout = speech_like(RATE, 3.0, seed=5, level_db=-12.0, pauses=False)
    shout[: 2 * RATE] = 0.0
    gate = HalfDuplexGate(RATE, barge_in_db=-25.0, mode=GateMode.MUTE)

    out, held = run(gate, far, echo + shout)

    barge = slice(int(2.05 * RATE), 3 * RATE)
    assert level_change_db((echo + shout)[barge], out[barge]) == pytest.approx(0.0, abs=0.5)
    assert not held[205:].any()
    assert held[50:195].all()


def test_the_microphone_opens_again_once_the_far_end_and_its_tail_are_over():
    far = speech_like(RATE, 2.0, seed=1, level_db=-20.0, pauses=False)
    far[RATE:] = 0.0
    near = speech_like(RATE, 2.0, seed=9, level_db=-40.0)  # quiet, below the barge-in level
    gate = HalfDuplexGate(RATE, hold_ms=300.0, mode=GateMode.MUTE)

    out, held = run(gate, far, near)

    assert held[10:100].all()
    assert not held[135:].any()
    assert np.array_equal(out[int(1.35 * RATE) :], near[int(1.35 * RATE) :])


def test_int16_frames_are_gated_in_int16():
    gate = HalfDuplexGate(RATE, mode=GateMode.MUTE)
    far = (speech_like(RATE, 0.01, level_db=-10.0) * 32767).astype(np.int16)
    gate.observe_far(far)
    quiet = np.full(FRAME, 100, dtype=np.int16)
    gate.process_near(quiet)
    out = gate.process_near(quiet)
    assert out.dtype == np.int16
    assert not out.any()
