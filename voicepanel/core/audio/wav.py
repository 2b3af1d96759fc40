"""WAV files in and out with the stdlib ``wave`` module: any PCM WAV is read as mono at
the room's rate; recordings are written as mono PCM16."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from voicepanel.core.audio.pcm import to_pcm16
from voicepanel.core.audio.resample import resample_once
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.errors import VoicePanelError


def read_wav(path: Path | str) -> tuple[Samples, int]:
    """Mono float32 samples (channels averaged) and the file's rate."""
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            channels = w.getnchannels()
            width = w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise VoicePanelError(
            f"Could not read the WAV file {Path(path).name}.",
            "Choose an uncompressed PCM WAV file (8, 16, 24 or 32-bit).",
            cause=exc,
        ) from exc
    data = _decode(raw, width)
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data.astype(np.float32), rate


def read_wav_at(path: Path | str, rate: int) -> Samples:
    """The file as mono float32 at ``rate`` (the room's 16 or 24 kHz)."""
    data, file_rate = read_wav(path)
    return resample_once(data, file_rate, rate)


def write_wav(path: Path | str, samples: Samples, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_pcm16(samples))


def _decode(raw: bytes, width: int) -> Samples:
    if width == 1:
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0).astype(
            np.float32
        )
    if width == 2:
        return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        return (ints.astype(np.float32) / float(1 << 23)).astype(np.float32)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2.0**31).astype(np.float32)
    raise VoicePanelError(
        f"WAV files with {width * 8}-bit samples are not supported.",
        "Convert the file to 16-bit PCM.",
    )


class WavRecorder:
    """An open mono PCM16 WAV that frames are appended to as the call goes on."""

    def __init__(self, path: Path | str, rate: int) -> None:
        self.path = Path(path)
        self.rate = rate
        self.frames_written = 0
        try:
            # Stays open for the whole call: frames are appended as they are played.
            self._w = wave.open(str(self.path), "wb")  # noqa: SIM115
        except OSError as exc:
            raise VoicePanelError(
                f"Could not create the recording {self.path.name}.",
                "Choose a folder you can write to.",
                cause=exc,
            ) from exc
        self._w.setnchannels(1)
        self._w.setsampwidth(2)
        self._w.setframerate(rate)

    def write(self, samples: Samples) -> None:
        self._w.writeframes(to_pcm16(samples))
        self.frames_written += len(samples)

    def close(self) -> None:
        self._w.close()
