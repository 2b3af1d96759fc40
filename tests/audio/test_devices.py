"""The device side against a real sound server (our own PulseAudio): listing, capture
from the virtual microphone, playback to the virtual speaker, and the no-audio states."""

from __future__ import annotations

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


def test_a_tone_played_into_the_virtual_microphone_is_captured_at_the_room_rate(
    pulse, tmp_path
) -> None:
    inventory = list_devices()
    device = inventory.find(DeviceKind.INPUT, None)
    assert device is not None
    audio = DeviceAudio(16000)
    audio.open_input(device)
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
            time.sleep(0.02)
        player.wait(timeout=5)
        captured = audio.read_input()
        assert captured is not None
        chunks.append(captured.samples)
    finally:
        audio.close()
    heard = np.concatenate(chunks)
    loud = heard[np.abs(heard) > 0.05]
    assert len(loud) > 8000, "less than half a second of the tone reached the microphone"
    assert abs(peak_frequency(heard, 16000) - 440) < 3
    assert audio.capture is None


def test_audio_written_for_the_speaker_is_heard_on_the_virtual_speaker(pulse, tmp_path) -> None:
    device = list_devices().find(DeviceKind.OUTPUT, None)
    assert device is not None
    audio = DeviceAudio(24000)
    recording = pulse.record_speaker(tmp_path / "spk.raw")
    time.sleep(0.2)
    audio.open_output(device)
    signal = np.concatenate([tone(660, 1.0, 24000), silence(0.3, 24000)])
    frame = 480
    sent = 0
    try:
        deadline = time.monotonic() + 5
        while sent < len(signal) and time.monotonic() < deadline:
            for _ in range(audio.frames_due()):
                audio.write_output(signal[sent : sent + frame])
                sent += frame
            time.sleep(0.01)
        time.sleep(0.4)
    finally:
        audio.close()
    heard = recording.stop()
    assert rms(heard) > 0.05
    assert abs(peak_frequency(heard, 16000) - 660) < 3
    onset = int(np.argmax(np.abs(heard) > 0.1))
    assert np.sum(np.abs(heard[onset:]) > 0.1) > 0.5 * 16000 * 0.5


def test_a_device_that_cannot_be_opened_is_a_readable_error(pulse) -> None:
    ghost = AudioDevice(999, "Ghost headset", "ALSA", 1, 1, 48000)
    audio = DeviceAudio(16000)
    with pytest.raises(VoicePanelError) as caught:
        audio.open_input(ghost)
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
