"""ListenPlayer: a call's live audio through the speakers, from its ``monitor.listenUrl``,
without joining the room.

VAPI's listen socket sends binary frames of PCM s16le, two channels interleaved (left: the
customer, right: the assistant) at the call's sample rate. The player runs on a thread of
its own with its own asyncio loop for the socket, and its own PortAudio output stream
(opened and closed through the process's PortAudio owner, like every stream): the window's
loop can stall for half a second and the sound goes on. The socket task only
writes into a preallocated ring; the output callback only copies out of it (scaled by the
volume), waiting for ``lead_s`` of audio before it starts and again after it ran dry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aiohttp
import numpy as np

from voicepanel.core.audio.devices import load_sounddevice
from voicepanel.core.audio.portaudio_owner import portaudio
from voicepanel.core.audio.ringbuffer import RingBuffer
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.redact import REDACTOR

log = logging.getLogger(__name__)

CHANNELS = 2  # left: the customer, right: the assistant
BLOCK_S = 0.02
LEAD_S = 0.12  # audio held before playing: listening wants no gaps more than low delay
RING_S = 2.0
MAX_VOLUME = 2.0
CONNECT_TIMEOUT_S = 10.0


class ListenState(Enum):
    CONNECTING = "connecting"
    PLAYING = "playing"
    ENDED = "ended"  # the call ended, or VAPI closed the socket
    FAILED = "failed"
    STOPPED = "stopped"  # stopped by the listener


@dataclass(frozen=True)
class ListenStatus:
    state: ListenState
    message: str = ""
    hint: str = ""


class ListenPlayer:
    """``start()`` on the app's loop, ``set_volume`` any time, ``await stop()``."""

    def __init__(
        self,
        url: str,
        sample_rate: int,
        *,
        on_status: Callable[[ListenStatus], None] = lambda _s: None,
        volume: float = 1.0,
        device: int | None = None,
        lead_s: float = LEAD_S,
    ) -> None:
        self.url = url
        self.sample_rate = sample_rate
        self.device = device
        self.volume = _clamp(volume)
        self.status = ListenStatus(ListenState.CONNECTING)
        self._on_status = on_status
        self._lead = int(lead_s * sample_rate) * CHANNELS
        self._block = int(BLOCK_S * sample_rate)
        self._ring = RingBuffer(int(RING_S * sample_rate) * CHANNELS)
        self._scratch = np.zeros(self._block * CHANNELS, dtype=np.float32)
        self._primed = False
        self.underruns = 0  # times the speaker ran dry after playing had begun
        self.frames_received = 0
        self._thread: threading.Thread | None = None
        self._owner: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def set_volume(self, volume: float) -> None:
        """0 is silent, 1 as the call sounds, up to 2; read by the next audio block."""
        self.volume = _clamp(volume)

    # -- starting and stopping -------------------------------------------------------------

    def start(self) -> None:
        """Connects and plays on a thread of its own; status changes come back through
        ``on_status`` on the calling loop."""
        if self._thread is not None:
            return
        self._owner = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="vapi-listen", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stops the sound and closes the socket; waits for the thread, off the loop."""
        thread = self._thread
        if thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop already finished
                loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(thread.join, 5.0)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the player's thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            final = asyncio.run(self._play())
        except Exception as exc:  # noqa: BLE001 - reported, never raised in a thread
            log.exception("Listening to the call failed")
            final = ListenStatus(
                ListenState.FAILED, "Listening to the call failed.", REDACTOR.redact(str(exc))
            )
        self._report(final)

    async def _play(self) -> ListenStatus:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        stream = _SpeakerStream(self)
        try:
            await portaudio().start(stream)
        except VoicePanelError as exc:
            return ListenStatus(ListenState.FAILED, exc.message, exc.hint)
        try:
            return await self._receive()
        finally:
            with contextlib.suppress(Exception):
                await portaudio().close(stream)

    async def _receive(self) -> ListenStatus:
        assert self._stop is not None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.ws_connect(self.url, heartbeat=None) as ws,
            ):
                self._report(ListenStatus(ListenState.PLAYING))
                stopping = asyncio.ensure_future(self._stop.wait())
                try:
                    while True:
                        reading = asyncio.ensure_future(ws.receive())
                        done, _ = await asyncio.wait(
                            {reading, stopping}, return_when=asyncio.FIRST_COMPLETED
                        )
                        if stopping in done:
                            reading.cancel()
                            return ListenStatus(ListenState.STOPPED)
                        message = reading.result()
                        if message.type is aiohttp.WSMsgType.BINARY:
                            self._take(message.data)
                        elif message.type in _CLOSED:
                            return ListenStatus(
                                ListenState.ENDED, "The call's audio stopped: the call ended."
                            )
                finally:
                    stopping.cancel()
        except aiohttp.WSServerHandshakeError as exc:
            why = "the call has ended" if exc.status in (404, 409) else f"HTTP {exc.status}"
            return ListenStatus(
                ListenState.FAILED,
                f"Could not listen to the call: {why}.",
                "Listening works while the call is in progress.",
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return ListenStatus(
                ListenState.FAILED,
                "Could not reach the call's listen address.",
                f"{REDACTOR.redact(str(exc)) or type(exc).__name__}. Check the network.",
            )

    def _take(self, data: bytes) -> None:
        usable = len(data) - len(data) % (2 * CHANNELS)
        if usable <= 0:
            return
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        self._ring.write(samples)
        self.frames_received += usable // (2 * CHANNELS)

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        """PortAudio's thread: copy out of the ring, scaled; nothing else."""
        want = frames * CHANNELS
        scratch = self._scratch if want == len(self._scratch) else np.zeros(want, np.float32)
        if not self._primed:
            if self._ring.available < self._lead:
                outdata.fill(0)
                return
            self._primed = True
        got = self._ring.read_into(scratch)
        if got < want:
            self.underruns += 1
            self._primed = False
        np.multiply(scratch.reshape(frames, CHANNELS), self.volume, out=outdata)

    def _report(self, status: ListenStatus) -> None:
        self.status = status
        owner = self._owner
        if owner is None:
            return
        with contextlib.suppress(RuntimeError):  # the app's loop is gone: nobody to tell
            owner.call_soon_threadsafe(self._on_status, status)


class _SpeakerStream:
    """The player's output stream, as the PortAudio owner opens, starts and closes it."""

    def __init__(self, player: ListenPlayer) -> None:
        self._player = player
        self._stream: Any = None

    def open(self) -> None:
        player = self._player
        try:
            self._stream = load_sounddevice().OutputStream(
                samplerate=player.sample_rate,
                channels=CHANNELS,
                dtype="float32",
                blocksize=player._block,
                latency="high",  # as the agent's streams: "low" was unstable on PulseAudio
                device=player.device,
                callback=player._callback,
            )
        except VoicePanelError:
            raise
        except Exception as exc:
            raise VoicePanelError(
                "Could not open the speakers to listen to the call.",
                "Check that an output device is connected and not used exclusively by "
                "another program.",
                cause=exc,
            ) from exc

    def start(self) -> None:
        self._stream.start()

    def close(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.stop()
            self._stream.close()
            self._stream = None


_CLOSED = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.ERROR,
)


def _clamp(volume: float) -> float:
    return min(MAX_VOLUME, max(0.0, float(volume)))
