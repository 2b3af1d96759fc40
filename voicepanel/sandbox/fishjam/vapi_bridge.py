"""A VAPI peer: the sandbox joins a VAPI call's `vapi.websocket` transport, as the cloud does.

After the peer is created (201 at once), the bridge looks the call up with the peer's API
key (`GET {vapi}/call/{id}`), and on any failure reports `PeerCrashed` with the reason. On
success it opens the call's `websocketCallUrl`, connects the peer and publishes one audio
track carrying the call's audio to the room, paced like any agent track.

What the call hears: one peer at a time. The first track that sounds (RMS above a floor)
becomes the speaker; another track takes over only once the speaker has been quiet for
`SPEAKER_HOLD_S`. Its frames go to the call as raw PCM16 at the call's sample rate.

The peer leaves (PeerDisconnected, PeerDeleted) when the call's socket closes, when the call
reports status "ended", after `state.vapi_silence_timeout_s` without sound either way, or,
with autoClose, when the last other participant leaves the room (after `end-call`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import WSCloseCode, WSMsgType

from voicepanel.sandbox.fishjam.audio import RateConverter, rms
from voicepanel.sandbox.fishjam.outbox import Outbox, Overflow
from voicepanel.sandbox.fishjam.state import FishjamState, Peer, Track

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 16000
# A frame quieter than this (about -44 dBFS) counts as silence.
SOUND_RMS = 200.0
SPEAKER_HOLD_S = 0.5
MAX_QUEUED_FRAMES = 3000
HTTP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class CallTransport:
    websocket_url: str
    sample_rate: int


class CallUnavailable(Exception):
    """The call cannot be joined; the message is the PeerCrashed reason."""


class VapiBridge:
    """Carries one VAPI peer; the state reaches it as the peer's `PeerConnection`."""

    def __init__(
        self, state: FishjamState, peer: Peer, http: aiohttp.ClientSession, vapi_base_url: str
    ) -> None:
        assert peer.vapi is not None
        self._state = state
        self._peer = peer
        self._options = peer.vapi
        self._http = http
        self._vapi_base_url = vapi_base_url.rstrip("/")
        self._outbox: Outbox | None = None
        self._sample_rate = DEFAULT_SAMPLE_RATE
        self._track: Track | None = None
        self._speaker: str | None = None
        self._speaker_loud_at = float("-inf")
        self._converter: RateConverter | None = None
        self._last_sound = 0.0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(
            self._run(), name=f"vapi peer {self._peer.id}"
        )

    async def _run(self) -> None:
        try:
            transport = await self._look_up_call()
            ws = await self._http.ws_connect(transport.websocket_url, max_msg_size=0)
        except CallUnavailable as unavailable:
            self._state.crash(self._peer, str(unavailable))
            return
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._state.crash(self._peer, f"Could not open the VAPI call's websocket: {exc}")
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("VAPI peer %s failed to start", self._peer.id)
            self._state.crash(self._peer, f"Sandbox error joining the VAPI call: {exc}")
            return
        try:
            await self._carry(ws, transport)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("VAPI peer %s failed", self._peer.id)
        finally:
            await ws.close()
            if self._outbox is not None:
                await self._outbox.stop()
            self._leave()

    async def _look_up_call(self) -> CallTransport:
        call_id = self._options.call_id
        url = f"{self._vapi_base_url}/call/{quote(call_id, safe='')}"
        headers = {"Authorization": f"Bearer {self._options.api_key}"}
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
        try:
            async with self._http.get(url, headers=headers, timeout=timeout) as response:
                if response.status in (401, 403):
                    raise CallUnavailable("VAPI rejected the API key")
                if response.status == 404:
                    raise CallUnavailable(f"VAPI call {call_id} not found")
                if response.status >= 300:
                    raise CallUnavailable(
                        f"VAPI answered HTTP {response.status} for call {call_id}"
                    )
                call = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise CallUnavailable(f"Could not reach VAPI: {exc!r}") from exc
        except ValueError as exc:
            raise CallUnavailable(f"VAPI sent an unreadable answer for call {call_id}") from exc
        return _transport_of(call, call_id)

    async def _carry(self, ws: aiohttp.ClientWebSocketResponse, transport: CallTransport) -> None:
        if self._peer.deleted:
            return
        loop = asyncio.get_running_loop()
        self._sample_rate = transport.sample_rate
        self._peer.output_rate = transport.sample_rate
        self._outbox = Outbox(
            ws, f"VAPI call {self._options.call_id}", MAX_QUEUED_FRAMES, None, Overflow.DROP_OLDEST
        )
        self._outbox.start()
        self._last_sound = loop.time()
        self._state.connect(self._peer, self)
        metadata = json.dumps({"source": "vapi", "callId": self._options.call_id})
        self._track = Track(
            uuid.uuid4().hex, self._peer.id, "audio", metadata, self._sample_rate, 1
        )
        self._state.add_track(self._peer, self._track)
        watchdog = loop.create_task(self._watch_silence(), name="vapi silence watchdog")
        try:
            async for msg in ws:
                if msg.type is WSMsgType.BINARY:
                    self._on_call_audio(msg.data)
                elif msg.type is WSMsgType.TEXT:
                    self._on_call_event(msg.data)
                else:
                    break
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    def _on_call_audio(self, data: bytes) -> None:
        if self._track is None or self._peer.deleted:
            return
        if rms(data) > SOUND_RMS:
            self._last_sound = asyncio.get_running_loop().time()
        self._state.rooms[self._peer.room_id].playout.push(self._track.id, data)

    def _on_call_event(self, text: str) -> None:
        try:
            event = json.loads(text)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if kind == "user-interrupted" and self._track is not None and not self._peer.deleted:
            self._state.rooms[self._peer.room_id].playout.interrupt(self._track.id)
        elif kind == "status-update" and event.get("status") == "ended":
            self.close("VAPI call ended")

    async def _watch_silence(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            timeout = self._state.vapi_silence_timeout_s
            await asyncio.sleep(max(0.05, min(1.0, timeout / 4)))
            if loop.time() - self._last_sound > timeout:
                log.info("VAPI peer %s silent for %.0f s; leaving", self._peer.id, timeout)
                self._end_call("silence timeout")
                return

    def _end_call(self, reason: str) -> None:
        if self._outbox is not None:
            self._outbox.send(json.dumps({"type": "end-call"}))
            self._outbox.close(WSCloseCode.OK, reason)

    def _leave(self) -> None:
        if not self._peer.deleted and self._peer.room_id in self._state.rooms:
            self._state.delete_peer(self._peer.room_id, self._peer.id, "VAPI call over")

    # -- PeerConnection ----------------------------------------------------------------

    def deliver(self, track: Track, frame: bytes) -> None:
        if self._outbox is None:
            return
        now = asyncio.get_running_loop().time()
        loud = rms(frame) > SOUND_RMS
        if track.id != self._speaker:
            if not loud or now - self._speaker_loud_at < SPEAKER_HOLD_S:
                return
            self._speaker = track.id
            self._converter = RateConverter(track.sample_rate, self._sample_rate)
        if loud:
            self._speaker_loud_at = now
            self._last_sound = now
        assert self._converter is not None
        for chunk in self._converter.feed(frame):
            self._outbox.send(chunk)

    def close(self, reason: str) -> None:
        if self._outbox is not None:
            self._outbox.close(WSCloseCode.OK, reason)
        elif self.task is not None:
            self.task.cancel()

    def room_emptied(self) -> None:
        if self._options.auto_close:
            self._end_call("last participant left")


def _transport_of(call: Any, call_id: str) -> CallTransport:
    if not isinstance(call, dict):
        raise CallUnavailable(f"VAPI sent an unreadable answer for call {call_id}")
    if call.get("status") == "ended":
        raise CallUnavailable(f"VAPI call {call_id} has already ended")
    transport = call.get("transport")
    if not isinstance(transport, dict):
        transport = {}
    url = transport.get("websocketCallUrl")
    if not isinstance(url, str) or not url:
        raise CallUnavailable(f"VAPI call {call_id} has no vapi.websocket transport")
    audio_format = transport.get("audioFormat")
    rate = audio_format.get("sampleRate") if isinstance(audio_format, dict) else None
    if isinstance(rate, bool) or not isinstance(rate, int) or not 8000 <= rate <= 48000:
        rate = DEFAULT_SAMPLE_RATE
    return CallTransport(url, rate)
