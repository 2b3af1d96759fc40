"""Which audio devices exist, and a readable state when there are none or PortAudio is
missing. Importing sounddevice raises OSError without the PortAudio library, so it is
imported here and nowhere else first."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from types import ModuleType
from typing import Any

from voicepanel.core.errors import VoicePanelError


class DeviceKind(Enum):
    INPUT = "input"
    OUTPUT = "output"

    @property
    def noun(self) -> str:
        """What people call it in a sentence."""
        return "microphone" if self is DeviceKind.INPUT else "speaker"


class AudioAvailability(Enum):
    READY = "ready"
    NO_DEVICES = "no_devices"
    PORTAUDIO_MISSING = "portaudio_missing"


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_rate: int
    is_default_input: bool = False
    is_default_output: bool = False

    @property
    def key(self) -> str:
        """Stable across runs (indexes are not): what settings remember."""
        return f"{self.host_api}: {self.name}"

    def label(self, kind: DeviceKind) -> str:
        default = self.is_default_input if kind is DeviceKind.INPUT else self.is_default_output
        channels = self.input_channels if kind is DeviceKind.INPUT else self.output_channels
        mark = " (system default)" if default else ""
        return f"{self.name} - {self.host_api}, {channels} ch, {self.default_rate} Hz{mark}"


@dataclass(frozen=True)
class DeviceInventory:
    availability: AudioAvailability
    inputs: tuple[AudioDevice, ...] = ()
    outputs: tuple[AudioDevice, ...] = ()
    message: str = ""
    hint: str = ""
    devices: tuple[AudioDevice, ...] = field(default=(), repr=False)
    note: str = ""
    """Said beside the list when it may be out of date (PortAudioOwner)."""

    def find(self, kind: DeviceKind, key: str | None) -> AudioDevice | None:
        """The device remembered as ``key``, else the system default, else the first."""
        pool = self.inputs if kind is DeviceKind.INPUT else self.outputs
        if key:
            for dev in pool:
                if dev.key == key:
                    return dev
        for dev in pool:
            if dev.is_default_input if kind is DeviceKind.INPUT else dev.is_default_output:
                return dev
        return pool[0] if pool else None


PORTAUDIO_HINT_LINUX = (
    "Install the PortAudio library (Debian/Ubuntu: sudo apt-get install libportaudio2) "
    "and restart VoicePanel."
)
NO_DEVICE_HINT = (
    "Connect a microphone or headset, or start the sound server (PulseAudio or PipeWire), "
    "then choose Refresh devices. The agent can still listen to the room without audio."
)


def load_sounddevice() -> ModuleType:
    """The sounddevice module, or a VoicePanelError saying how to install PortAudio."""
    try:
        import sounddevice
    except OSError as exc:
        hint = (
            PORTAUDIO_HINT_LINUX
            if sys.platform.startswith("linux")
            else "Reinstall VoicePanel: its PortAudio library is missing."
        )
        raise VoicePanelError(
            "Audio is unavailable: PortAudio is not installed.", hint, cause=exc
        ) from exc
    return sounddevice


def list_devices(refresh: bool = False) -> DeviceInventory:
    """Every input and output device. ``refresh`` re-initialises PortAudio so devices
    plugged in (or a sound server started) since launch appear: that would cut every open
    stream, so only ``PortAudioOwner`` calls it, and only when none is open."""
    try:
        sd = load_sounddevice()
    except VoicePanelError as exc:
        return DeviceInventory(
            AudioAvailability.PORTAUDIO_MISSING, message=exc.message, hint=exc.hint
        )
    if refresh:
        sd._terminate()
        sd._initialize()
    try:
        raw_devices: Any = sd.query_devices()
        host_apis: Any = sd.query_hostapis()
    except Exception as exc:  # PortAudio reports a broken backend as a plain error
        return DeviceInventory(
            AudioAvailability.NO_DEVICES,
            message=f"Audio devices could not be listed ({exc}).",
            hint=NO_DEVICE_HINT,
        )
    default_in, default_out = _defaults(sd)
    devices = tuple(
        AudioDevice(
            index=int(d["index"]),
            name=str(d["name"]),
            host_api=str(host_apis[d["hostapi"]]["name"]),
            input_channels=int(d["max_input_channels"]),
            output_channels=int(d["max_output_channels"]),
            default_rate=int(d["default_samplerate"]),
            is_default_input=int(d["index"]) == default_in,
            is_default_output=int(d["index"]) == default_out,
        )
        for d in raw_devices
    )
    inputs = tuple(d for d in devices if d.input_channels > 0)
    outputs = tuple(d for d in devices if d.output_channels > 0)
    if not inputs and not outputs:
        return DeviceInventory(
            AudioAvailability.NO_DEVICES,
            message="No audio device was found.",
            hint=NO_DEVICE_HINT,
            devices=devices,
        )
    return DeviceInventory(AudioAvailability.READY, inputs, outputs, devices=devices)


def _defaults(sd: ModuleType) -> tuple[int, int]:
    try:
        pair = sd.default.device
        default_in, default_out = int(pair[0]), int(pair[1])
    except Exception:
        default_in = default_out = -1
    if default_in < 0 or default_out < 0:
        try:
            api = sd.query_hostapis(0)
            default_in = default_in if default_in >= 0 else int(api["default_input_device"])
            default_out = default_out if default_out >= 0 else int(api["default_output_device"])
        except Exception:
            pass
    return default_in, default_out
