"""Which microphone and speaker the local agent uses: the device list (from the process's
one PortAudio owner), the choice remembered by key, opening it on the audio loop (never
on the window's thread), and a sentence when it cannot be opened. A missing device never
takes the agent out of the room."""

from __future__ import annotations

from collections.abc import Callable

from voicepanel.core.audio.audio_thread import AudioThread
from voicepanel.core.audio.devices import AudioAvailability, DeviceInventory, DeviceKind
from voicepanel.core.audio.engine import AudioEngine
from voicepanel.core.audio.portaudio_owner import portaudio
from voicepanel.core.errors import VoicePanelError
from voicepanel.session.agent_status import DeviceStatus


class AgentDevices:
    def __init__(
        self,
        engine: AudioEngine,
        audio: AudioThread,
        on_error: Callable[[VoicePanelError], None],
        on_change: Callable[[DeviceStatus], None],
    ) -> None:
        self._engine = engine
        self._audio = audio
        self._on_error = on_error
        self._on_change = on_change
        self.inventory = DeviceInventory(AudioAvailability.NO_DEVICES)
        self.keys: dict[DeviceKind, str | None] = {DeviceKind.INPUT: None, DeviceKind.OUTPUT: None}
        self._busy = 0
        self._unavailable_reported = False
        self.closed = False
        """Set when the agent left: nothing is opened behind a closed window."""

    def status(self) -> DeviceStatus:
        devices = self._engine.devices
        capture, playback = devices.capture, devices.playback
        return DeviceStatus(
            capture.device.key if capture else None,
            playback.device.key if playback else None,
            self.inventory.availability,
            busy=self._busy > 0,
        )

    async def load(self, refresh: bool = False) -> DeviceInventory:
        """The device list; ``refresh`` looks for devices plugged in since (without
        cutting any stream of this or another agent)."""
        self._busy += 1
        self._announce()
        try:
            self.inventory = await portaudio().devices(refresh)
        finally:
            self._busy -= 1
            self._announce()
        return self.inventory

    async def choose(self, kind: DeviceKind, key: str | None) -> bool:
        """Opens the device remembered as ``key`` (None: the system default); False, with
        the reason through ``on_error``, when there is none or it will not open."""
        if self.closed:
            return False
        self.keys[kind] = key
        if self.inventory.availability is not AudioAvailability.READY:
            await self.load()
        device = self.inventory.find(kind, key)
        what = kind.noun
        if device is None:
            if self.inventory.availability is AudioAvailability.READY:
                self._on_error(
                    VoicePanelError(
                        f"No {what} was found.",
                        f"Connect a {what} and choose Refresh devices. You are still in the room.",
                    )
                )
            elif not self._unavailable_reported:
                # One message for "no audio at all", not one per device.
                self._unavailable_reported = True
                self._on_error(VoicePanelError(self.inventory.message, self.inventory.hint))
            self._announce()
            return False
        self._busy += 1
        self._announce()
        try:
            await self._audio.call(self._engine.open_device(kind, device))
        except VoicePanelError as exc:
            self._on_error(exc)
            return False
        finally:
            self._busy -= 1
            self._announce()
        if self.closed:  # left while it was opening
            await self._audio.call(self._engine.close_device(kind))
            return False
        return True

    async def disable(self, kind: DeviceKind) -> None:
        await self._audio.call(self._engine.close_device(kind))
        self._announce()

    def _announce(self) -> None:
        self._on_change(self.status())
