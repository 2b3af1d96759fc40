"""The device side against a real sound server (our own PulseAudio): listing, capture
from the virtual microphone, playback to the virtual speaker, and the no-audio states."""

from __future__ import annotations

import asyncio
import builtins
import time

import numpy as np
import pytest
from audio_signals import peak_frequency, rms, silence, tone

from voicepanel.core.audio.device_io import DeviceAudio
from voicepanel.core.audio.devices import (
    AudioAvailability,
    AudioDevice,
    DeviceKind,
    list_devices,
)
from voicepanel.core.errors import VoicePanelError


def test_the_sound_server_devices_are_listed_with_the_defaults_marked(pulse) -> None:
    inventory = list_devices()
    assert inventory.availability is AudioAvailability.READY
    assert inventory.inputs and inventory.outputs
    default_in = inventory.find(DeviceKind.INPUT, None)
    assert default_in is not None and default_in.is_default_input
    assert "system default" in default_in.label(DeviceKind.INPUT)
    assert inventory.find(DeviceKind.OUTPUT, default_in.key) is not None


def _silence(out, _now) -> None:
    out.fill(0.0)


async def test_a_tone_played_into_the_virtual_microphone_is_captured_at_the_room_rate(
    pulse, tmp_path
) -> None:
    inventory = list_devices()
    device = inventory.find(DeviceKind.INPUT, None)
    assert device is not None
    audio = DeviceAudio(16000, _silence)
    await audio.open_input(device)
    try:
        player = pulse.play_into_mic(
            np.concatenate([tone(440, 1.0, 44100), silence(0.3, 44100)]), 44100, tmp_path
        )
        chunks = []
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and player.poll() is None:
            captured = audio.read_input()
            assert captured is not None
            chunks.append(captured.samples)
            await asyncio.sleep(0.02)
        await asyncio.to_thread(player.wait, 5)
        captured = audio.read_input()
        assert captured is not None
        chunks.append(captured.samples)
    finally:
        await audio.close()
    heard = np.concatenate(chunks)
    loud = heard[np.abs(heard) > 0.05]
    assert len(loud) > 8000, "less than half a second of the tone reached the microphone"
    assert abs(peak_frequency(heard, 16000) - 440) < 3
    assert audio.capture is None


async def test_what_the_mix_gives_the_speaker_is_heard_on_the_virtual_speaker(
    pulse, tmp_path
) -> None:
    device = list_devices().find(DeviceKind.OUTPUT, None)
    assert device is not None
    signal = np.concatenate([tone(660, 1.0, 24000), silence(0.3, 24000)])
    played = [0]

    def mix(out, _now) -> None:  # the speaker's callback asks for each block
        piece = signal[played[0] : played[0] + len(out)]
        out[: len(piece)] = piece
        out[len(piece) :] = 0.0
        played[0] += len(out)

    audio = DeviceAudio(24000, mix)
    recording = pulse.record_speaker(tmp_path / "spk.raw")
    await asyncio.sleep(0.2)
    await audio.open_output(device)
    try:
        deadline = time.monotonic() + 5
        while played[0] < len(signal) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.4)
    finally:
        await audio.close()
    heard = recording.stop()
    assert rms(heard) > 0.05
    assert abs(peak_frequency(heard, 16000) - 660) < 3
    onset = int(np.argmax(np.abs(heard) > 0.1))
    assert np.sum(np.abs(heard[onset:]) > 0.1) > 0.5 * 16000 * 0.5


async def test_a_device_that_cannot_be_opened_is_a_readable_error(pulse) -> None:
    ghost = AudioDevice(999, "Ghost headset", "ALSA", 1, 1, 48000)
    audio = DeviceAudio(16000, _silence)
    with pytest.raises(VoicePanelError) as caught:
        await audio.open_input(ghost)
    assert "Ghost headset" in caught.value.message
    assert caught.value.hint
    assert audio.capture is None


def test_without_portaudio_the_inventory_says_how_to_install_it(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    inventory = list_devices()
    assert inventory.availability is AudioAvailability.PORTAUDIO_MISSING
    assert "PortAudio" in inventory.message
    assert "libportaudio2" in inventory.hint
