"""EchoCanceller on a synthetic room: far-end speech played, its echo (delayed 30-80 ms,
attenuated, through a short room response) in the microphone, with and without someone
talking near the microphone."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from voicepanel.core.audio.echo import EchoCancellationUnavailable, EchoCanceller, EchoState
from voicepanel.core.audio.echo.probe import echo_of, speech_like
from voicepanel.core.errors import VoicePanelError


def energy(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def reduction_db(before: np.ndarray, after: np.ndarray) -> float:
    return 10.0 * np.log10(energy(before) / max(energy(after), 1e-20))


def run(
    canceller: EchoCanceller, far: np.ndarray, near: np.ndarray, frame_ms: int = 20
) -> np.ndarray:
    """Far and near fed frame by frame, interleaved, as the agent's loop would."""
    size = canceller.sample_rate * frame_ms // 1000
    out = np.zeros_like(near)
    for start in range(0, len(near) - size + 1, size):
        canceller.process_far(far[start : start + size])
        out[start : start + size] = canceller.process_near(near[start : start + size])
    return out


@pytest.mark.parametrize(("rate", "delay_ms"), [(16000, 30), (16000, 80), (48000, 55)])
def test_the_echo_of_far_end_speech_is_removed_after_convergence(rate, delay_ms):
    far = speech_like(rate, 8.0, seed=1)
    echo = echo_of(far, rate, delay_ms=delay_ms, gain_db=-6.0)
    canceller = EchoCanceller(rate, stream_delay_ms=delay_ms)

    out = run(canceller, far, echo)

    last = slice(5 * rate, 8 * rate)
    assert reduction_db(echo[last], out[last]) >= 25.0


def test_a_wrong_delay_hint_still_converges():
    rate = 16000
    far = speech_like(rate, 8.0, seed=2)
    echo = echo_of(far, rate, delay_ms=70, gain_db=-6.0)

    out = run(EchoCanceller(rate, stream_delay_ms=0), far, echo)

    assert reduction_db(echo[5 * rate :], out[5 * rate :]) >= 25.0


@pytest.mark.parametrize("rate", [16000, 48000])
def test_near_end_talk_survives_alone_and_over_the_far_end(rate):
    far = speech_like(rate, 12.0, seed=1)
    far[8 * rate : 10 * rate] = 0.0  # the far end pauses: the local person talks alone
    echo = echo_of(far, rate, delay_ms=50, gain_db=-10.0)
    talk = speech_like(rate, 12.0, seed=7, level_db=-22.0)
    talk[: 8 * rate] = 0.0
    canceller = EchoCanceller(rate, stream_delay_ms=50)

    out = run(canceller, far, echo + talk)

    alone = slice(int(8.2 * rate), 10 * rate)
    over_far = slice(int(10.2 * rate), 12 * rate)
    assert abs(reduction_db(talk[alone], out[alone])) <= 2.0
    # AEC3 suppresses a little while both talk (measured 1.7-3.5 dB).
    assert abs(reduction_db(talk[over_far], out[over_far])) <= 6.0


def test_int16_frames_come_back_as_int16_and_10_ms_frames_work():
    rate = 16000
    far = (speech_like(rate, 1.0) * 32767).astype(np.int16)
    canceller = EchoCanceller(rate)

    out = run(canceller, far, far, frame_ms=10)

    assert out.dtype == np.int16
    assert canceller.frames_processed == 100


def test_frames_that_are_not_whole_10_ms_are_refused_with_a_pointer_to_the_rechunker():
    canceller = EchoCanceller(16000)
    with pytest.raises(ValueError, match="FrameRechunker"):
        canceller.process_near(np.zeros(240, dtype=np.float32))


def test_stages_switch_at_run_time_and_all_off_is_a_bypass():
    canceller = EchoCanceller(16000)
    frame = speech_like(16000, 0.02)
    first_apm = canceller._apm

    canceller.set_stages(ns=False)
    assert canceller.stages.ns is False
    assert canceller._apm is not first_apm
    assert canceller.state is EchoState.ACTIVE

    canceller.set_stages(aec=False, hpf=False)
    assert canceller.state is EchoState.BYPASSED
    assert canceller.process_near(frame) is frame

    canceller.set_stages(aec=True)
    assert canceller.state is EchoState.ACTIVE


def test_without_livekit_audio_passes_through_and_the_reason_is_readable(monkeypatch):
    monkeypatch.setitem(sys.modules, "livekit", None)
    frame = speech_like(16000, 0.02)

    canceller = EchoCanceller(16000)
    canceller.process_far(frame)

    assert canceller.state is EchoState.UNAVAILABLE
    assert canceller.process_near(frame) is frame
    error = canceller.unavailable
    assert isinstance(error, EchoCancellationUnavailable)
    assert isinstance(error, VoicePanelError)
    assert "Echo cancellation is unavailable" in error.message
    assert "headset" in error.hint


def test_a_native_failure_mid_call_falls_back_to_passthrough():
    canceller = EchoCanceller(16000)

    class Broken:
        def set_stream_delay_ms(self, ms: int) -> None:
            pass

        def process_stream(self, frame: object) -> None:
            raise RuntimeError("apm exploded")

    canceller._apm = Broken()
    frame = speech_like(16000, 0.02)

    assert canceller.process_near(frame) is frame
    assert canceller.state is EchoState.UNAVAILABLE
    assert "microphone processing failed" in canceller.unavailable.message


def _raw_apm_run(far: np.ndarray, near: np.ndarray, rate: int, frame: int, delay_each: bool):
    """livekit's APM driven directly, 20 ms at a time as the agent does (the far end's,
    then the microphone's), in calls of ``frame`` samples."""
    from livekit import rtc

    apm = rtc.AudioProcessingModule(
        echo_cancellation=True, noise_suppression=True, high_pass_filter=True
    )
    apm.set_stream_delay_ms(60)
    far_buf, near_buf = bytearray(frame * 2), bytearray(frame * 2)
    far_frame = rtc.AudioFrame(far_buf, rate, 1, frame)
    near_frame = rtc.AudioFrame(near_buf, rate, 1, frame)
    far_view = np.frombuffer(far_buf, np.int16)
    near_view = np.frombuffer(near_buf, np.int16)
    out = np.zeros_like(near)
    block = rate // 50
    for start in range(0, len(near) - block + 1, block):
        parts = range(start, start + block, frame)
        for at in parts:
            far_view[:] = far[at : at + frame]
            apm.process_reverse_stream(far_frame)
        for at in parts:
            near_view[:] = near[at : at + frame]
            if delay_each:
                apm.set_stream_delay_ms(60)
            apm.process_stream(near_frame)
            out[at : at + frame] = near_view
    return out


@pytest.mark.parametrize("rate", [16000, 48000])
def test_one_call_per_room_frame_and_one_delay_give_what_10_ms_calls_give(rate):
    """What the canceller's single native call per frame relies on: livekit cuts a 20 ms
    frame into WebRTC's 10 ms ones, and WebRTC keeps the stream delay between frames."""
    far = (speech_like(rate, 3.0, seed=3) * 32767).astype(np.int16)
    near = (echo_of(far / 32768.0, rate, delay_ms=60, gain_db=-6.0) * 32767).astype(np.int16)
    ten_ms = rate // 100

    reference = _raw_apm_run(far, near, rate, ten_ms, delay_each=True)
    twenty_ms = _raw_apm_run(far, near, rate, 2 * ten_ms, delay_each=False)

    assert np.array_equal(reference, twenty_ms)
    assert not np.array_equal(reference, near)  # it did process
