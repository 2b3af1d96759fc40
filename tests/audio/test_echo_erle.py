"""ERLE measurement, the echo-leak warning, and the headset suggestion's guess at what
kind of output device is in use."""

from __future__ import annotations

import numpy as np
import pytest

from voicepanel.core.audio.echo import (
    ErleMeter,
    OutputKind,
    classify_output_device,
    looks_like_builtin_speakers,
)
from voicepanel.core.audio.echo.probe import echo_of, speech_like

RATE = 16000


def feed(meter: ErleMeter, far, near_in, near_out, frame_ms: int = 10):
    size = RATE * frame_ms // 1000
    readings = []
    for start in range(0, len(far) - size + 1, size):
        s = slice(start, start + size)
        readings.append(meter.update(far[s], near_in[s], near_out[s]))
    return readings


def test_erle_reads_the_applied_attenuation_while_someone_talks_now_and_then():
    far = speech_like(RATE, 12.0, seed=1, level_db=-20.0)
    echo = echo_of(far, RATE, delay_ms=70, gain_db=-10.0)
    talk = speech_like(RATE, 12.0, seed=7, level_db=-16.0)
    talk[: 6 * RATE] = 0.0
    talk[9 * RATE :] = 0.0
    # A canceller that removes exactly 20 dB of echo and leaves the talk alone.
    near_in, near_out = echo + talk, 0.1 * echo + talk
    meter = ErleMeter(RATE)

    readings = feed(meter, far, near_in, near_out)

    assert meter.erle_db == pytest.approx(20.0, abs=1.5)
    during_talk = [r.erle_db for r in readings[650:900]]
    assert min(during_talk) == pytest.approx(20.0, abs=1.5)
    assert meter.echo_delay_ms == pytest.approx(70.0, abs=15.0)
    assert not meter.echo_leaking


def test_echo_that_is_not_cancelled_raises_the_leak_warning_after_a_while():
    far = speech_like(RATE, 8.0, seed=3, level_db=-20.0, pauses=False)
    echo = echo_of(far, RATE, delay_ms=50, gain_db=-6.0)
    meter = ErleMeter(RATE, warn_after_ms=3000.0)

    readings = feed(meter, far, echo, 0.7 * echo, frame_ms=20)

    assert meter.erle_db == pytest.approx(3.1, abs=1.0)
    assert not readings[50].echo_leaking
    assert readings[-1].echo_leaking


def test_the_warning_clears_when_cancellation_recovers():
    far = speech_like(RATE, 16.0, seed=3, level_db=-20.0, pauses=False)
    echo = echo_of(far, RATE, delay_ms=50, gain_db=-6.0)
    out = echo.copy()
    out[8 * RATE :] *= 0.01
    meter = ErleMeter(RATE)

    readings = feed(meter, far, echo, out)

    assert any(r.echo_leaking for r in readings[:800])
    assert not readings[-1].echo_leaking
    assert meter.erle_db == pytest.approx(40.0, abs=1.0)


@pytest.mark.parametrize("pauses", [True, False])
def test_a_headset_with_no_echo_never_warns(pauses):
    rng = np.random.default_rng(0)
    far = speech_like(RATE, 8.0, seed=3, level_db=-20.0, pauses=pauses)
    hiss = (rng.standard_normal(len(far)) * 10 ** (-70 / 20)).astype(np.float32)
    meter = ErleMeter(RATE)
    feed(meter, far, hiss, hiss)
    assert meter.erle_db is None
    assert not meter.echo_leaking


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Built-in Audio Analog Stereo", OutputKind.SPEAKERS),
        ("MacBook Pro Speakers", OutputKind.SPEAKERS),
        ("Speakers (Realtek(R) Audio)", OutputKind.SPEAKERS),
        ("HDA Intel PCH: ALC257 Analog (hw:0,0)", OutputKind.SPEAKERS),
        ("Internal Speakers", OutputKind.SPEAKERS),
        ("Speakers (Jabra Evolve 65)", OutputKind.HEADSET),
        ("Headset Earphone (WH-1000XM4 Hands-Free)", OutputKind.HEADSET),
        ("External Headphones", OutputKind.HEADSET),
        ("AirPods Pro", OutputKind.HEADSET),
        ("USB Audio Device Analog Stereo", OutputKind.HEADSET),
        ("bluez_sink.00_1B_66.a2dp_sink", OutputKind.HEADSET),
        ("pulse", OutputKind.UNKNOWN),
        ("default", OutputKind.UNKNOWN),
    ],
)
def test_output_devices_are_told_apart_by_name(name, kind):
    assert classify_output_device(name) is kind
    assert looks_like_builtin_speakers(name) is (kind is OutputKind.SPEAKERS)
