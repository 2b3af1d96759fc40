"""The audio engine's signal processing on synthetic signals: no device, no network."""

from __future__ import annotations

import numpy as np
import pytest
from audio_signals import peak_frequency, rms, silence, tone

from voicepanel.core.audio.audio_file import read_audio_at, write_wav
from voicepanel.core.audio.jitter import JitterBuffer, JitterConfig, JitterState
from voicepanel.core.audio.latency import TurnLatencyMeter, summarize
from voicepanel.core.audio.meters import LevelMeter, measure
from voicepanel.core.audio.pcm import Framer, frame_samples, from_pcm16, to_pcm16
from voicepanel.core.audio.resample import Resampler
from voicepanel.core.audio.ringbuffer import RingBuffer
from voicepanel.core.audio.room_mix import RoomMix
from voicepanel.core.audio.vad import EnergyVad, VadEventKind


def _stream(resampler: Resampler, signal: np.ndarray, chunk: int) -> np.ndarray:
    parts = [resampler.process(signal[i : i + chunk]) for i in range(0, len(signal), chunk)]
    parts.append(resampler.process(np.zeros(0, np.float32), last=True))
    return np.concatenate(parts)


@pytest.mark.parametrize("room_rate", [16000, 24000])
def test_a_tone_survives_the_round_trip_from_room_rate_to_48k_and_back(room_rate: int) -> None:
    source = tone(440, 1.0, room_rate)
    up = _stream(Resampler(room_rate, 48000), source, frame_samples(room_rate))
    down = _stream(Resampler(48000, room_rate), up, 960)

    assert abs(len(up) - 48000) <= 480
    assert abs(peak_frequency(up, 48000) - 440) < 2
    assert abs(len(down) - len(source)) <= room_rate // 100
    assert abs(peak_frequency(down, room_rate) - 440) < 2
    # Energy kept within 0.2 dB, edges aside.
    body = slice(room_rate // 10, -room_rate // 10)
    assert 20 * np.log10(rms(down[body]) / rms(source[body])) == pytest.approx(0, abs=0.2)


def test_pcm16_round_trip_and_full_scale_clipping() -> None:
    x = np.array([0.0, 0.5, -0.5, 1.5, -1.5], dtype=np.float32)
    data = to_pcm16(x)
    assert len(data) == 10
    back = from_pcm16(data)
    assert back[1] == pytest.approx(0.5, abs=1e-4)
    assert back[3] == pytest.approx(32767 / 32768)
    assert back[4] == pytest.approx(-32767 / 32768)


def test_framer_cuts_runs_of_any_length_into_20ms_frames() -> None:
    framer = Framer(frame_samples(16000))
    assert frame_samples(16000) == 320 and frame_samples(24000) == 480
    out = framer.push(np.arange(500, dtype=np.float32))
    assert len(out) == 1 and framer.pending == 180
    out += framer.push(np.arange(500, 1000, dtype=np.float32))
    assert len(out) == 3
    assert np.array_equal(np.concatenate(out), np.arange(960, dtype=np.float32))
    last = framer.flush()
    assert last is not None and len(last) == 320 and last[39] == 999 and last[40] == 0


def test_ring_buffer_drops_the_newest_when_full_and_zero_fills_when_dry() -> None:
    ring = RingBuffer(8)
    assert ring.write(np.arange(6, dtype=np.float32)) == 6
    assert ring.write(np.arange(6, 12, dtype=np.float32)) == 2
    assert ring.dropped == 4
    out = np.ones(10, dtype=np.float32)
    assert ring.read_into(out) == 8
    assert list(out[:8]) == list(range(8)) and not out[8:].any()
    assert ring.zero_filled == 2
    ring.write(np.arange(5, dtype=np.float32))  # wraps around
    assert list(ring.read()) == [0, 1, 2, 3, 4]


def test_jitter_buffer_starts_at_two_frames_and_plays_as_soon_as_they_are_there() -> None:
    jb = JitterBuffer(JitterConfig(frame_size=320), 16000)
    assert jb.stats().target_ms == 40.0
    assert jb.pull() is None and jb.state is JitterState.IDLE
    jb.push(np.full(320, 0.1, np.float32), 1.0)
    assert jb.pull() is None and jb.state is JitterState.BUFFERING
    jb.push(np.full(320, 0.2, np.float32), 1.02)
    frame = jb.pull()
    assert frame is not None and frame[0] == pytest.approx(0.1)


def test_jitter_buffer_waits_for_its_target_then_plays_in_order() -> None:
    jb = JitterBuffer(JitterConfig(frame_size=320, min_target_frames=2), 16000)
    jb.push(np.full(320, 0.1, np.float32), 1.0)
    assert jb.pull() is None and jb.state is JitterState.BUFFERING
    jb.push(np.full(320, 0.2, np.float32), 2.0)
    first = jb.pull()
    assert first is not None and first[0] == pytest.approx(0.1)
    second = jb.pull()
    assert second is not None and second[0] == pytest.approx(0.2)
    assert jb.stats().underruns == 0


def test_jitter_buffer_counts_an_underrun_when_audio_comes_back_late() -> None:
    cfg = JitterConfig(frame_size=320)
    jb = JitterBuffer(cfg, 16000)
    for _ in range(2):
        jb.push(np.full(320, 0.1, np.float32))
    assert jb.pull() is not None and jb.pull() is not None
    assert jb.pull() is None  # dry: silence
    assert jb.state is JitterState.STARVED
    jb.push(np.full(320, 0.1, np.float32))  # the late packet
    jb.pull()  # the speaker's next block finds it: the gap was heard
    assert jb.underruns == 1
    assert jb.target_frames == cfg.min_target_frames + 1  # adapts


def test_jitter_target_grows_on_underruns_and_shrinks_after_a_calm_spell() -> None:
    cfg = JitterConfig(frame_size=320, calm_frames_to_shrink=50)
    jb = JitterBuffer(cfg, 16000)
    for late in range(2):  # runs dry twice, each time followed by a late packet
        for _ in range(jb.target_frames):
            jb.push(np.full(320, 0.1, np.float32))
        while jb.pull() is not None:
            pass
        assert jb.state is JitterState.STARVED
        jb.push(np.full(320, 0.1, np.float32))
        jb.pull()
        assert jb.underruns == late + 1
    assert jb.target_frames == cfg.min_target_frames + 2
    for _ in range(2):
        jb.push(np.full(320, 0.1, np.float32))
    for _ in range(2 * cfg.calm_frames_to_shrink + 5):  # steady: one in, one out
        jb.push(np.full(320, 0.1, np.float32))
        assert jb.pull() is not None
    assert jb.target_frames == cfg.min_target_frames


def test_jitter_buffer_does_not_count_the_end_of_a_talk_spurt_as_an_underrun() -> None:
    jb = JitterBuffer(JitterConfig(frame_size=320), 16000)
    for _ in range(3):
        jb.push(np.full(320, 0.1, np.float32))
    for _ in range(40):
        jb.pull()
    assert jb.state is JitterState.IDLE
    jb.push(np.full(320, 0.1, np.float32))
    jb.pull()
    assert jb.underruns == 0


def test_jitter_buffer_drops_the_oldest_on_overrun() -> None:
    cfg = JitterConfig(frame_size=320)
    jb = JitterBuffer(cfg, 16000)
    for i in range(cfg.min_target_frames + cfg.overrun_margin_frames + 1):
        jb.push(np.full(320, float(i) / 100, np.float32))
    frame = jb.pull()
    assert jb.overruns == 1
    assert jb.depth == (cfg.min_target_frames - 1) * 320
    assert frame is not None
    # The newest frames survive; the oldest went.
    assert frame[0] == pytest.approx((cfg.overrun_margin_frames + 1) / 100)


def test_the_room_mix_applies_gain_mute_and_master_volume() -> None:
    room = RoomMix(16000, 320)
    out = np.zeros(320, np.float32)
    for peer_id, level in (("a", 0.2), ("b", 0.1)):  # the jitter buffers' frame of slack
        room.receive(peer_id, "t", to_pcm16(np.full(320, level, np.float32)), 0.0)

    def mixed() -> float:
        for peer_id, level in (("a", 0.2), ("b", 0.1)):
            room.receive(peer_id, "t", to_pcm16(np.full(320, level, np.float32)), 0.0)
        room.mix_into(out, 0.0)
        return float(out[0])

    assert mixed() == pytest.approx(0.3, abs=1e-3)
    room.mixer.set_gain("a", 0.5)
    assert mixed() == pytest.approx(0.2, abs=1e-3)
    room.mixer.set_muted("b", True)
    assert mixed() == pytest.approx(0.1, abs=1e-3)
    room.mixer.master_volume = 0.5
    assert mixed() == pytest.approx(0.05, abs=1e-3)
    room.mixer.master_volume = 10.0
    room.mixer.set_muted("b", False)
    assert mixed() == pytest.approx(1.0)  # clipped
    # Every mixed frame is kept for the far end of echo control, in order.
    assert room.played.available == 5 * 320


def test_a_muted_peer_is_consumed_in_time_but_not_heard() -> None:
    room = RoomMix(16000, 320)
    room.mixer.set_muted("a", True)
    out = np.zeros(320, np.float32)
    room.receive("a", "t", to_pcm16(np.full(320, 0.5, np.float32)), 0.0)
    for _ in range(3):
        room.receive("a", "t", to_pcm16(np.full(320, 0.5, np.float32)), 0.0)
        room.mix_into(out, 0.0)
        assert not out.any()
    assert room.peers["a"].jitter.depth == 320  # no backlog builds up while muted


def test_meter_reads_a_full_scale_sine_at_minus_3_01_dbfs_rms() -> None:
    level = measure(tone(1000, 1.0, 48000, amplitude=1.0))
    assert level.rms_dbfs == pytest.approx(-3.0103, abs=0.01)
    assert level.peak_dbfs == pytest.approx(0.0, abs=0.01)
    half = measure(tone(1000, 1.0, 48000, amplitude=0.5))
    assert half.rms_dbfs == pytest.approx(-9.03, abs=0.01)
    assert measure(silence(0.1, 16000)).rms_dbfs == -120.0


def test_meter_keeps_a_burst_between_two_readings() -> None:
    meter = LevelMeter()
    meter.update(tone(440, 0.02, 16000, amplitude=1.0))
    meter.update(silence(0.02, 16000))
    level = meter.take()
    assert level.peak_dbfs == pytest.approx(0, abs=0.05)
    assert level.rms_dbfs == pytest.approx(-6.02, abs=0.1)
    assert meter.take().rms_dbfs == -120.0


def _frames(signal: np.ndarray, size: int) -> list[np.ndarray]:
    return [signal[i : i + size] for i in range(0, len(signal) - size + 1, size)]


def test_vad_finds_each_tone_burst_and_dates_its_end_to_the_last_voiced_frame() -> None:
    rate = 16000
    pattern = np.concatenate(
        [
            silence(0.2, rate),
            tone(440, 0.5, rate),
            silence(0.6, rate),
            tone(440, 0.3, rate),
            silence(0.6, rate),
        ]
    )
    vad = EnergyVad()
    events = []
    for i, frame in enumerate(_frames(pattern, 320)):
        event = vad.process(frame, i * 0.02, 0.02)
        if event:
            events.append(event)
    kinds = [e.kind for e in events]
    assert kinds == [VadEventKind.SPEECH_START, VadEventKind.SPEECH_END] * 2
    assert events[0].at == pytest.approx(0.2)
    assert events[1].at == pytest.approx(0.7)
    assert events[2].at == pytest.approx(1.3)
    assert events[3].at == pytest.approx(1.6)


def test_vad_bridges_a_short_pause_and_ignores_a_click() -> None:
    rate = 16000
    pattern = np.concatenate(
        [
            tone(440, 0.02, rate),
            silence(0.5, rate),
            tone(440, 0.3, rate),
            silence(0.1, rate),
            tone(440, 0.3, rate),
            silence(0.5, rate),
        ]
    )
    vad = EnergyVad()
    kinds = [
        e.kind for i, f in enumerate(_frames(pattern, 320)) if (e := vad.process(f, i * 0.02, 0.02))
    ]
    assert kinds == [VadEventKind.SPEECH_START, VadEventKind.SPEECH_END]


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.9])
def test_latency_meter_measures_a_synthetic_conversation(delay: float) -> None:
    rate, fs = 16000, 320
    meter = TurnLatencyMeter()
    local = np.concatenate(
        [silence(0.2, rate)] + [np.concatenate([tone(300, 0.4, rate), silence(2.0, rate)])] * 3
    )
    # The reply: each burst echoed `delay` after its end.
    remote = np.zeros_like(local)
    for k in range(3):
        end = int((0.2 + k * 2.4 + 0.4) * rate)
        start = end + int(delay * rate)
        remote[start : start + int(0.4 * rate)] = tone(600, 0.4, rate)
    turns = []
    for i in range(len(local) // fs):
        at = i * fs / rate
        for turn in (
            meter.local(local[i * fs : (i + 1) * fs], at, fs / rate),
            meter.remote(remote[i * fs : (i + 1) * fs], at, fs / rate),
        ):
            if turn:
                turns.append(turn)
    assert [t.index for t in turns] == [1, 2, 3]
    for t in turns:
        assert t.latency_s == pytest.approx(delay, abs=0.021)
    summary = meter.summary()
    assert summary.count == 3 and summary.median_s == pytest.approx(delay, abs=0.021)


def test_latency_summary_min_median_p90() -> None:
    s = summarize([0.5, 0.1, 0.3, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert (s.min_s, s.median_s, s.p90_s) == (0.1, pytest.approx(0.55), 0.9)
    assert summarize([]).count == 0


def test_wav_read_converts_any_rate_and_channels_to_the_room_rate(tmp_path) -> None:
    import wave

    stereo = np.stack([tone(440, 1.0, 44100), tone(440, 1.0, 44100)], axis=1)
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes((stereo * 32767).astype("<i2").tobytes())
    mono = read_audio_at(path, 16000)
    assert abs(len(mono) - 16000) <= 2
    assert abs(peak_frequency(mono, 16000) - 440) < 2
    out = tmp_path / "out.wav"
    write_wav(out, mono, 16000)
    again = read_audio_at(out, 24000)
    assert abs(len(again) - 24000) <= 3
    assert rms(again) == pytest.approx(rms(mono), rel=0.01)


def test_jitter_buffer_converges_back_to_its_target_after_a_burst() -> None:
    cfg = JitterConfig(frame_size=320)
    jb = JitterBuffer(cfg, 16000)
    for _ in range(cfg.min_target_frames + 5):  # a burst: 5 frames more than the target
        jb.push(np.full(320, 0.1, np.float32))
    for _ in range(200):  # steady arrivals, one per pull
        jb.push(np.full(320, 0.1, np.float32))
        assert jb.pull() is not None
    assert jb.depth <= (cfg.min_target_frames + cfg.excess_frames) * 320
    assert jb.underruns == 0


def test_a_shrink_that_brought_a_gap_back_waits_twice_as_long_next_time() -> None:
    cfg = JitterConfig(
        frame_size=320, min_target_frames=1, calm_frames_to_shrink=20, regret_frames=50
    )
    jb = JitterBuffer(cfg, 16000)
    frame = np.full(320, 0.1, np.float32)

    def underrun() -> None:
        while jb.pull() is not None:
            pass
        jb.push(frame)
        jb.pull()

    jb.push(frame)
    underrun()  # the target grows to 40 ms
    assert jb.target_frames == 2
    for _ in range(2):
        jb.push(frame)
    steady = 0
    while jb.target_frames == 2:  # calm: it shrinks back after 20 frames
        jb.push(frame)
        assert jb.pull() is not None
        steady += 1
    assert steady == 20
    underrun()  # right after the shrink: the shrink was wrong
    assert jb.target_frames == 2
    for _ in range(2):
        jb.push(frame)
    steady = 0
    while jb.target_frames == 2:
        jb.push(frame)
        assert jb.pull() is not None
        steady += 1
    assert steady == 40


def test_audio_piled_up_while_the_speaker_was_late_is_played_by_its_catch_up_calls() -> None:
    """The speaker's callback stalls 240 ms (a busy machine); the peer's audio keeps
    arriving meanwhile; then PortAudio calls back block after block to refill its buffer.
    Those calls play the audio that piled up: no gap, nothing dropped."""
    cfg = JitterConfig(frame_size=320)
    jb = JitterBuffer(cfg, 16000)
    frame_s = 0.02
    now = 100.0
    for _ in range(cfg.min_target_frames):
        jb.push(np.full(320, 0.1, np.float32))
    for _ in range(50):  # steady: one frame out, one in, every 20 ms
        now += frame_s
        assert jb.pull_into(np.zeros(320, np.float32), now) == 320
        jb.push(np.full(320, 0.1, np.float32))
    stall = 12
    for _ in range(stall):  # the callback does not run; the socket still delivers
        jb.push(np.full(320, 0.1, np.float32))
    now += stall * frame_s
    for _ in range(stall):  # the catch-up calls, back to back
        assert jb.pull_into(np.zeros(320, np.float32), now) == 320
    for _ in range(50):
        now += frame_s
        assert jb.pull_into(np.zeros(320, np.float32), now) == 320
        jb.push(np.full(320, 0.1, np.float32))
    assert (jb.underruns, jb.overruns) == (0, 0)


def test_audio_that_arrives_in_a_burst_while_the_speaker_is_on_time_is_still_dropped() -> None:
    cfg = JitterConfig(frame_size=320)
    jb = JitterBuffer(cfg, 16000)
    now = 100.0
    for _ in range(cfg.min_target_frames + cfg.overrun_margin_frames + 1):
        jb.push(np.full(320, 0.1, np.float32))
    for _ in range(3):
        now += 0.02
        jb.pull_into(np.zeros(320, np.float32), now)
    assert jb.overruns == 1
