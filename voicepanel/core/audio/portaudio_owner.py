"""The one owner of PortAudio in the process: listing and re-listing devices, opening,
starting and closing streams all run here, one at a time, on one worker thread.

PortAudio can only look for new devices by shutting down and starting again, which would
cut every stream in the process (every agent's). So a re-scan happens only while no
stream is open; asked for while streams run, it is kept for the moment the last one
closes, and the inventory says so. A sound server (PulseAudio, PipeWire) follows its own
default device for the streams on its "default"/"pulse" devices without any of this.
Opening a device takes tens of milliseconds: never on the window's thread or the audio
loop, which only await it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
from typing import Protocol

from voicepanel.core.audio.devices import DeviceInventory, list_devices

RESCAN_DEFERRED = (
    "Other audio is playing, so the device list is the one from before: devices plugged "
    "in since appear once no agent has a device open."
)


class ManagedStream(Protocol):
    def open(self) -> None: ...
    def start(self) -> None: ...
    def close(self) -> None: ...


class PortAudioOwner:
    def __init__(self) -> None:
        self._worker = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="portaudio"
        )
        self._open: set[int] = set()
        """ids of the streams started and not yet closed (touched on the worker only)."""
        self._rescan_pending = False
        self._inventory: DeviceInventory | None = None

    @property
    def open_streams(self) -> int:
        return len(self._open)

    async def devices(self, refresh: bool = False) -> DeviceInventory:
        """The devices PortAudio knows; ``refresh`` looks again (see the module's note)."""
        return await self._run(self._devices, refresh)

    async def start(self, stream: ManagedStream) -> None:
        """Opens and starts ``stream``; its errors (VoicePanelError) come back here."""
        await self._run(self._start, stream)

    async def close(self, stream: ManagedStream) -> None:
        await self._run(self._close, stream)

    def close_now(self, stream: ManagedStream, timeout_s: float = 5.0) -> None:
        """From any thread, waiting (shutting down without a loop)."""
        self._worker.submit(self._close, stream).result(timeout_s)

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        future = self._worker.submit(fn, *args)
        return await asyncio.wrap_future(future)

    # -- on the worker ---------------------------------------------------------------

    def _devices(self, refresh: bool) -> DeviceInventory:
        if refresh and self._open:
            self._rescan_pending = True
            current = self._inventory or list_devices()
            return dataclasses.replace(current, note=RESCAN_DEFERRED)
        self._inventory = list_devices(refresh=refresh or self._rescan_pending)
        self._rescan_pending = False
        return self._inventory

    def _start(self, stream: ManagedStream) -> None:
        if self._rescan_pending and not self._open:
            self._inventory = list_devices(refresh=True)
            self._rescan_pending = False
        stream.open()
        self._open.add(id(stream))
        try:
            stream.start()
        except BaseException:
            self._open.discard(id(stream))
            raise

    def _close(self, stream: ManagedStream) -> None:
        stream.close()
        self._open.discard(id(stream))
        if self._rescan_pending and not self._open:
            self._inventory = list_devices(refresh=True)
            self._rescan_pending = False


_owner: PortAudioOwner | None = None
_owner_lock = threading.Lock()


def portaudio() -> PortAudioOwner:
    """The process's owner (made on first use)."""
    global _owner
    with _owner_lock:
        if _owner is None:
            _owner = PortAudioOwner()
        return _owner
