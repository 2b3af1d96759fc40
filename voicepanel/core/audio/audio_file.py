"""Audio files in and out through libsndfile (``soundfile``): any WAV (8/16/24/32-bit
integer, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE), FLAC, OGG/Vorbis and the other formats
libsndfile reads is taken as mono at the room's rate; recordings are written as mono
16-bit PCM WAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from voicepanel.core.audio.resample import resample_once
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.errors import VoicePanelError

READABLE = ("wav", "flac", "ogg", "oga", "aiff", "aif", "w64", "rf64", "caf", "au", "mp3")
"""File name endings offered in the file dialog (libsndfile reads more)."""


def read_audio(path: Path | str) -> tuple[Samples, int]:
    """Mono float32 samples (channels averaged) and the file's rate."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError, TypeError) as exc:
        raise VoicePanelError(
            f"Could not read the audio file {Path(path).name}.",
            "Choose a WAV, FLAC or OGG file (any sample format); the file may be damaged.",
            cause=exc,
        ) from exc
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return np.ascontiguousarray(mono, dtype=np.float32), int(rate)


def read_audio_at(path: Path | str, rate: int) -> Samples:
    """The file as mono float32 at ``rate`` (the room's 16 or 24 kHz)."""
    data, file_rate = read_audio(path)
    return resample_once(data, file_rate, rate)


def write_wav(path: Path | str, samples: Samples, rate: int) -> None:
    soundfile.write(str(path), np.asarray(samples, dtype=np.float32), rate, subtype="PCM_16")


class WavRecorder:
    """An open mono PCM16 WAV that frames are appended to as the call goes on."""

    def __init__(self, path: Path | str, rate: int) -> None:
        self.path = Path(path)
        self.rate = rate
        self.frames_written = 0
        try:
            # Stays open for the whole call: frames are appended as they are played.
            self._file = soundfile.SoundFile(
                str(self.path), "w", samplerate=rate, channels=1, format="WAV", subtype="PCM_16"
            )
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise VoicePanelError(
                f"Could not create the recording {self.path.name}.",
                "Choose a folder you can write to.",
                cause=exc,
            ) from exc

    def write(self, samples: Samples) -> None:
        self._file.write(samples)
        self.frames_written += len(samples)

    def close(self) -> None:
        self._file.close()
