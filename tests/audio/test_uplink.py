"""The local side before the socket: mute, push-to-talk, input gain, the WAV file as the
microphone (once or looped, paced by the clock), and silence that keeps time moving."""

from __future__ import annotations

import numpy as np
import pytest
from audio_signals import tone

from voicepanel.core.audio.device_io import Captured
from voicepanel.core.audio.uplink import Uplink


def _uplink() -> Uplink:
    return Uplink(16000, 320)


def test_microphone_audio_is_framed_and_dated_back_from_when_it_was_captured() -> None:
    up = _uplink()
    frames = up.pull(Captured(tone(440, 0.05, 16000), end_time=10.0), now=10.0)
    assert len(frames) == 2 and up.pending == 160
    # 160 samples (10 ms) are still pending, so the second frame ended 10 ms before 10.0.
    assert frames[1].at == pytest.approx(10.0 - 0.01 - 0.02)
    assert frames[0].at == pytest.approx(10.0 - 0.01 - 0.04)
    assert all(f.live for f in frames)


def test_mute_and_push_to_talk_send_nothing_but_keep_the_meter() -> None:
    up = _uplink()
    up.controls.muted = True
    frames = up.pull(Captured(tone(440, 0.04, 16000), 1.0), 1.0)
    assert [f.live for f in frames] == [False, False]
    assert not np.any(frames[0].samples)
    assert up.meter.take().rms_dbfs > -10  # the meter still shows the microphone
    up.controls.muted = False
    up.controls.push_to_talk = True
    assert not up.controls.transmitting
    up.controls.talk_held = True
    assert up.pull(Captured(tone(440, 0.02, 16000), 2.0), 2.0)[0].live


def test_input_gain_scales_what_is_sent() -> None:
    up = _uplink()
    up.controls.gain = 0.5
    frame = up.pull(Captured(np.full(320, 0.4, np.float32), 1.0), 1.0)[0]
    assert frame.samples[0] == pytest.approx(0.2)


def test_a_file_plays_once_at_real_time_pace_then_silence_follows() -> None:
    up = _uplink()
    up.play_file(np.full(800, 0.3, np.float32), loop=False)  # 50 ms: three frames, padded
    first = up.pull(None, 100.0)
    assert len(first) == 1 and first[0].live
    later = up.pull(None, 100.045)
    assert len(later) == 2
    assert later[-1].samples[-1] == 0.0  # padded to a whole frame
    assert up.file is None
    filler = up.pull(None, 100.2)
    assert filler and not any(f.live for f in filler)
    assert filler[0].at == pytest.approx(100.06)  # silence continues the file's timeline


def test_a_looped_file_starts_over() -> None:
    up = _uplink()
    ramp = np.arange(640, dtype=np.float32) / 1000
    up.play_file(ramp, loop=True)
    frames = up.pull(None, 0.0) + up.pull(None, 0.05)
    assert len(frames) == 3
    assert frames[2].samples[0] == pytest.approx(0.0)
    assert up.file is not None


def test_a_file_stands_in_for_the_microphone() -> None:
    up = _uplink()
    up.play_file(np.full(320, 0.3, np.float32), loop=False)
    frames = up.pull(Captured(tone(440, 0.02, 16000), 5.0), 5.0)
    assert len(frames) == 1 and frames[0].samples[0] == pytest.approx(0.3)


async def test_the_waker_wakes_the_loop_once_per_drain_from_another_thread() -> None:
    """What a PortAudio callback does after each block: one byte on a socket pair, at most
    one in flight, which the loop sees through add_reader."""
    import asyncio
    import threading

    from voicepanel.core.audio.streams import Waker

    loop = asyncio.get_running_loop()
    waker = Waker()
    woke = asyncio.Event()

    def on_wake() -> None:
        waker.drain()
        woke.set()

    loop.add_reader(waker.fileno(), on_wake)
    try:
        callback = threading.Thread(target=lambda: [waker.notify() for _ in range(5)])
        callback.start()
        callback.join()
        await asyncio.wait_for(woke.wait(), 2)
        assert waker.wakeups == 1  # five blocks, one byte: the loop had not drained yet
        woke.clear()
        threading.Thread(target=waker.notify).start()
        await asyncio.wait_for(woke.wait(), 2)
        assert waker.wakeups == 2
    finally:
        loop.remove_reader(waker.fileno())
        waker.close()
    waker.notify()  # after close: silently nothing, as in a callback racing a close
