"""The echo parts' helpers: re-cutting frames to 10 ms and back, the stream delay from
the streams' latencies, and finding the echo's delay in a recording."""

from __future__ import annotations

import numpy as np
import pytest

from voicepanel.core.audio.echo import FrameRechunker, estimate_echo_delay, stream_delay_ms
from voicepanel.core.audio.echo.probe import echo_of, speech_like


def test_20_ms_room_frames_become_10_ms_frames_and_back_unchanged():
    rate = 16000
    signal = speech_like(rate, 1.0)
    to_10 = FrameRechunker.for_duration(rate, 10)
    to_20 = FrameRechunker.for_duration(rate, 20)
    rebuilt = []
    for start in range(0, len(signal), 320):
        to_10.push(signal[start : start + 320])
        for frame in to_10.frames():
            assert frame.shape == (160,)
            to_20.push(frame)
        rebuilt.extend(to_20.frames())
    assert np.array_equal(np.concatenate(rebuilt), signal)


def test_odd_device_blocks_are_cut_into_whole_frames_and_the_rest_waits():
    chunker = FrameRechunker(480, channels=2, dtype=np.int16, capacity_frames=2)
    block = np.arange(2 * 1500, dtype=np.int16).reshape(1500, 2)
    chunker.push(block)
    chunker.push(block[:700])  # grows past its initial capacity
    got = list(chunker.frames())
    assert [f.shape for f in got] == [(480, 2)] * 4
    assert chunker.pending == 2200 - 4 * 480
    assert np.array_equal(got[0], block[:480])
    assert np.array_equal(got[3][60:], block[:420])


@pytest.mark.parametrize(
    ("inp", "out", "kwargs", "expected"),
    [
        (0.032, 0.048, {}, 80),
        ((0.02, 0.09), (0.02, 0.09), {}, 110),  # a duplex sd.Stream's (input, output) pair
        (0.03, 0.03, {"output_buffered_s": 0.06, "input_buffered_s": 0.01}, 130),
        (0.4, 0.4, {}, 500),  # WebRTC takes 0..500 ms
    ],
)
def test_the_stream_delay_comes_from_the_streams_latencies(inp, out, kwargs, expected):
    assert stream_delay_ms(inp, out, **kwargs) == expected


def test_the_echo_delay_is_found_in_a_recording():
    rate = 16000
    far = speech_like(rate, 3.0, seed=4)
    near = echo_of(far, rate, delay_ms=63.0, gain_db=-12.0)
    near += np.random.default_rng(0).standard_normal(len(near)).astype(np.float32) * 1e-3

    found = estimate_echo_delay(far, near, rate)

    assert found.delay_ms == pytest.approx(63.0, abs=1.0)
    assert found.confidence > 0.3
    assert -20.0 < found.gain_db < -5.0
