"""Echo cancellation through a real sound server: what is played to the speakers (null
sink ``spk``) is carried into the microphone (null sink ``mic``, heard through
``vp_mic``) by a PulseAudio loopback with 60 ms of latency and 20 dB of attenuation, as a
room would; the recording is then cleaned by EchoCanceller fed with what was played.

The echo's delay is known to the canceller only through set_stream_delay_ms: offline,
the test finds it by cross-correlation and reports it; live, it comes from the streams'
latencies, as in the agent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from voicepanel.core.audio.device_io import DeviceAudio
from voicepanel.core.audio.devices import DeviceKind, list_devices
from voicepanel.core.audio.echo import (
    EchoCanceller,
    ErleMeter,
    FrameRechunker,
    estimate_echo_delay,
    stream_delay_ms,
)
from voicepanel.core.audio.echo.probe import speech_like
from voicepanel.core.audio.ringbuffer import RingBuffer

RATE = 48000
ROOM_ATTENUATION = 0.1  # linear, -20 dB: the loopback's volume
LEAD_S, SPEECH_S, TAIL_S = 1.0, 6.0, 0.8


@pytest.fixture(scope="module")
def room(pulse) -> Iterator[None]:
    """spk.monitor -> mic, delayed and attenuated; removed afterwards so the other audio
    tests keep a dry microphone."""
    with pulse.room_echo(60, ROOM_ATTENUATION):
        yield


@dataclass
class Take:
    played: np.ndarray
    recorded: np.ndarray


def play_and_record(far: np.ndarray) -> Take:
    """Play ``far`` on the default output while recording the default input, each in its
    own stream as the agent does; callbacks only copy into preallocated arrays."""
    import sounddevice as sd

    played = np.concatenate([np.zeros(int(LEAD_S * RATE), np.float32), far])
    played = np.concatenate([played, np.zeros(int(TAIL_S * RATE), np.float32)])
    recorded = np.zeros(len(played), np.float32)
    cursor = {"out": 0, "in": 0}
    done = threading.Event()

    def on_output(outdata, frames, time_info, status) -> None:
        start = cursor["out"]
        n = max(0, min(frames, len(played) - start))
        outdata[:n, 0] = played[start : start + n]
        outdata[n:] = 0.0
        cursor["out"] = start + frames

    def on_input(indata, frames, time_info, status) -> None:
        start = cursor["in"]
        n = max(0, min(frames, len(recorded) - start))
        recorded[start : start + n] = indata[:n, 0]
        cursor["in"] = start + frames
        if cursor["in"] >= len(recorded):
            done.set()

    # A fixed 200 ms, not "high": after other tests have kept the null sinks busy, "high"
    # asks for ~35 ms, which underflows on a loaded machine and garbles the recording.
    kwargs = {"samplerate": RATE, "channels": 1, "dtype": "float32", "latency": 0.2}
    capture = sd.InputStream(device="pulse", callback=on_input, **kwargs)
    playback = sd.OutputStream(device="pulse", callback=on_output, **kwargs)
    with capture, playback:
        # A safety net against a stalled server, not a timing assertion.
        assert done.wait(timeout=4 * len(played) / RATE), "the recording never completed"
    return Take(played, recorded)


def energy(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def test_the_assistant_does_not_hear_itself_through_a_real_sound_server(room, record_property):
    far = speech_like(RATE, SPEECH_S, seed=11, level_db=-16.0, pauses=False)
    take = play_and_record(far)

    delay = estimate_echo_delay(take.played, take.recorded, RATE, max_delay_ms=800)
    record_property("echo_delay_ms", round(delay.delay_ms, 1))
    record_property("echo_gain_db", round(delay.gain_db, 1))
    print(f"echo: {delay.delay_ms:.1f} ms late, {delay.gain_db:.1f} dB, r={delay.confidence:.2f}")
    assert delay.confidence > 0.3, "no echo reached the microphone"
    assert -30.0 < delay.gain_db < -10.0

    canceller = EchoCanceller(RATE, stream_delay_ms=round(delay.delay_ms))
    block = RATE // 50
    usable = len(take.recorded) - len(take.recorded) % block
    cleaned = np.zeros(usable, np.float32)
    for start in range(0, usable, block):
        canceller.process_far(take.played[start : start + block])
        cleaned[start : start + block] = canceller.process_near(
            take.recorded[start : start + block]
        )

    # Judge after convergence: the last three seconds of far-end speech, echo included.
    lag = delay.delay_samples
    end = int((LEAD_S + SPEECH_S) * RATE) + lag
    last = slice(end - 3 * RATE, min(end, usable))
    reduction = 10.0 * np.log10(energy(take.recorded[last]) / max(energy(cleaned[last]), 1e-20))
    record_property("echo_reduction_db", round(reduction, 1))
    print(f"echo reduced by {reduction:.1f} dB")
    assert reduction >= 25.0


class ScriptedMix:
    """Stands where the room's mix stands: the speaker's callback takes the script block
    by block, and what it played is kept for the loop, as ``RoomMix.played`` is."""

    def __init__(self, script: np.ndarray, rate: int) -> None:
        self.script = script
        self.position = 0
        self.played = RingBuffer(rate * 2)

    def __call__(self, out: np.ndarray, _now: float) -> None:
        piece = self.script[self.position : self.position + len(out)]
        out[: len(piece)] = piece
        out[len(piece) :] = 0.0
        self.position += len(out)
        self.played.write(out)


async def test_live_cancellation_on_the_engine_device_path_at_the_room_rate(room, record_property):
    """As the agent will run it: the engine's DeviceAudio at 16 kHz, far frames given to
    the canceller as they are written for the speaker, microphone frames cleaned as they
    are read, on the event loop, with the delay hint from the streams' latencies. Two
    ERLE meters watch it: one on the cancelled microphone, one on the raw microphone (the
    echo leaking, as it would with echo cancellation off)."""
    rate, frame = 16000, 320
    far = speech_like(rate, SPEECH_S, seed=12, level_db=-16.0, pauses=False)
    inventory = list_devices()
    script = np.concatenate([np.zeros(int(LEAD_S * rate), np.float32), far])
    total = len(script) + int(TAIL_S * rate)
    speaker = ScriptedMix(script, rate)
    audio = DeviceAudio(rate, speaker)
    await audio.open_input(inventory.find(DeviceKind.INPUT, None))
    await audio.open_output(inventory.find(DeviceKind.OUTPUT, None))
    canceller = EchoCanceller(rate)
    chunker = FrameRechunker(frame)
    meter, leak_meter = ErleMeter(rate), ErleMeter(rate)
    sent: list[np.ndarray] = []
    raw: list[np.ndarray] = []
    cleaned: list[np.ndarray] = []
    try:
        assert audio.capture is not None and audio.playback is not None
        hint = stream_delay_ms(audio.capture.latency_s, audio.playback.latency_s)
        canceller.set_stream_delay_ms(hint)
        record_property("stream_delay_hint_ms", hint)
        while len(sent) * frame < total:
            while speaker.played.available >= frame:
                out = speaker.played.read(frame)
                canceller.process_far(out)
                meter.observe_far(out)
                leak_meter.observe_far(out)
                sent.append(out)
            captured = audio.read_input()
            if captured is not None:
                chunker.push(captured.samples)
                for near in chunker.frames():
                    raw.append(near)
                    cleaned.append(canceller.process_near(near))
                    meter.update_near(near, cleaned[-1])
                    leak_meter.update_near(near, near)
            await asyncio.sleep(0.01)
    finally:
        await audio.close()

    played, heard, clean = (np.concatenate(x) for x in (sent, raw, cleaned))
    delay = estimate_echo_delay(played, heard, rate, max_delay_ms=1000)
    record_property("echo_delay_ms", round(delay.delay_ms, 1))
    print(f"hint {hint} ms; echo {delay.delay_ms:.1f} ms after it was handed to the speaker")
    assert delay.confidence > 0.3, "no echo reached the microphone"
    end = min(len(script) + delay.delay_samples, len(heard))
    last = slice(end - 3 * rate, end)
    reduction = 10.0 * np.log10(energy(heard[last]) / max(energy(clean[last]), 1e-20))
    record_property("echo_reduction_db", round(reduction, 1))
    print(f"live echo reduced by {reduction:.1f} dB")
    assert reduction >= 25.0
    print(f"ERLE meter: {meter.erle_db} dB; without cancellation {leak_meter.erle_db} dB")
    record_property("erle_meter_db", meter.erle_db)
    assert meter.erle_db is not None and meter.erle_db >= 25.0
    assert not meter.echo_leaking
    assert leak_meter.echo_leaking
