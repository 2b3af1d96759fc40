"""Audio files as the microphone: what editors and text-to-speech tools export (32-bit
float, 24-bit, WAVE_FORMAT_EXTENSIBLE, FLAC, OGG) reads as the sound it holds, at the
room's rate; a file that is not audio is a sentence, not a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from audio_signals import peak_frequency, rms, tone

from voicepanel.core.audio.audio_file import read_audio, read_audio_at, write_wav
from voicepanel.core.errors import VoicePanelError


def stereo(left: np.ndarray) -> np.ndarray:
    return np.stack([left, left], axis=1)


@pytest.mark.parametrize(
    ("name", "fmt", "subtype"),
    [
        ("float.wav", "WAV", "FLOAT"),
        ("pcm24.wav", "WAV", "PCM_24"),
        ("extensible.wav", "WAVEX", "PCM_16"),
        ("extensible-float.wav", "WAVEX", "FLOAT"),
        ("lossless.flac", "FLAC", "PCM_16"),
        ("vorbis.ogg", "OGG", "VORBIS"),
    ],
)
def test_a_44_1_khz_stereo_file_reads_as_its_tone_at_the_room_rate(
    tmp_path, name: str, fmt: str, subtype: str
) -> None:
    path = tmp_path / name
    soundfile.write(
        str(path), stereo(tone(440, 1.0, 44100, 0.5)), 44100, format=fmt, subtype=subtype
    )
    samples, rate = read_audio(path)
    assert rate == 44100 and samples.dtype == np.float32 and samples.ndim == 1
    at_room = read_audio_at(path, 16000)
    assert abs(len(at_room) - 16000) <= 40
    assert abs(peak_frequency(at_room, 16000) - 440) < 3
    assert rms(at_room) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_the_extensible_header_is_what_the_file_says(tmp_path) -> None:
    path = tmp_path / "extensible.wav"
    soundfile.write(
        str(path), stereo(tone(440, 0.1, 44100)), 44100, format="WAVEX", subtype="FLOAT"
    )
    # WAVE_FORMAT_EXTENSIBLE (0xFFFE) in the fmt chunk: what the standard library refuses.
    raw = path.read_bytes()
    fmt = raw.index(b"fmt ")
    assert raw[fmt + 8 : fmt + 10] == b"\xfe\xff"


def test_a_file_that_is_not_audio_is_a_readable_error(tmp_path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(VoicePanelError) as caught:
        read_audio(path)
    assert "notes.wav" in caught.value.message and caught.value.hint


def test_recordings_are_mono_16_bit_wav(tmp_path) -> None:
    path = tmp_path / "out.wav"
    write_wav(path, tone(660, 0.5, 24000), 24000)
    info = soundfile.info(str(path))
    assert (info.format, info.subtype, info.channels, info.samplerate) == (
        "WAV",
        "PCM_16",
        1,
        24000,
    )
