"""Shared pieces for the VAPI sandbox tests: a VapiSandbox on a bare aiohttp app on a free
port, the real SDK clients pointed at it, test audio, and a transport client that records
what the call sends back. The fixtures built on it live in conftest.py.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import numpy as np
from aiohttp import WSMsgType, web
from vapi import AsyncVapi

from voicepanel.sandbox.vapi import VapiSandbox
from voicepanel.speech import synthesize

API_KEY = "test-vapi-key"
REPLY_DELAY_S = 0.4
RATE = 16000
FRAME_S = 0.02
END_OF_TURN_S = 0.3  # the quiet that ends a turn in these tests (the default is 1.5 s)


def transport(sample_rate: int = RATE) -> dict[str, Any]:
    audio = {"format": "pcm_s16le", "container": "raw", "sampleRate": sample_rate}
    return {"provider": "vapi.websocket", "audioFormat": audio}


def tone(freq_hz: float, seconds: float, rate: int = RATE, amplitude: float = 0.3) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t) * 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = RATE) -> bytes:
    return bytes(2 * int(seconds * rate))


def dominant_hz(pcm: bytes, rate: int = RATE) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


def voiced_seconds(pcm: bytes, rate: int = RATE, threshold: float = 500.0) -> float:
    frame = int(FRAME_S * rate)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return float(np.count_nonzero(rms >= threshold) * FRAME_S)


def loudness_envelope(pcm: bytes, rate: int = RATE) -> np.ndarray:
    """RMS per 20 ms frame."""
    frame = int(FRAME_S * rate)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    return np.sqrt(np.mean(frames * frames, axis=1))


def assert_is_speech_of(text: str, heard: bytes, rate: int = RATE) -> None:
    """`heard` is `text` in the sandbox's voice: as long, and rising and falling with it.
    (eSpeak varies its output a little from one synthesis to the next, so the samples are
    compared by their loudness over time, not one by one.)"""
    spoken = loudness_envelope(synthesize(text, rate), rate)
    got = loudness_envelope(heard, rate)
    assert abs(got.size - spoken.size) <= 1, f"{got.size} frames heard, {spoken.size} spoken"
    n = min(got.size, spoken.size)
    assert np.corrcoef(got[:n], spoken[:n])[0, 1] > 0.98
    assert voiced_seconds(heard, rate) > 0.5 * spoken.size * FRAME_S


@dataclass
class VapiServer:
    sandbox: VapiSandbox
    base_url: str  # what the SDK takes as base_url

    def client(self, token: str = API_KEY) -> AsyncVapi:
        return AsyncVapi(token=token, base_url=self.base_url)


async def start_vapi_server(sandbox: VapiSandbox) -> tuple[VapiServer, web.AppRunner]:
    app = web.Application()
    sandbox.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return VapiServer(sandbox, f"http://127.0.0.1:{port}/vapi"), runner


def websocket_call_url(call: Any) -> str:
    return call.transport.model_extra["websocketCallUrl"]


class CallSocket:
    """A client of a call's transport that keeps every event and audio frame it gets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.audio: list[tuple[float, bytes]] = []
        self._loop = asyncio.get_running_loop()
        self._news = asyncio.Event()
        self._reader = self._loop.create_task(self._read())

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str) -> CallSocket:
        return cls(await session.ws_connect(url))

    async def _read(self) -> None:
        async for message in self.ws:
            now = self._loop.time()
            if message.type is WSMsgType.TEXT:
                self.events.append((now, json.loads(message.data)))
            elif message.type is WSMsgType.BINARY:
                self.audio.append((now, message.data))
            self._news.set()
        self._news.set()

    async def wait_event(self, kind: str, timeout: float = 3.0, **fields: Any) -> dict[str, Any]:
        """The first event of `kind` whose fields match, waiting for it if needed."""
        async with asyncio.timeout(timeout):
            while True:
                for _, event in self.events:
                    if event["type"] == kind and all(event.get(k) == v for k, v in fields.items()):
                        return event
                if self._reader.done():
                    raise AssertionError(f"socket closed without a {kind} {fields}: {self.events}")
                self._news.clear()
                await self._news.wait()

    async def wait_events(
        self, kind: str, count: int, timeout: float = 10.0, **fields: Any
    ) -> list[dict[str, Any]]:
        """The first `count` events of `kind` whose fields match, waiting for them."""
        async with asyncio.timeout(timeout):
            while True:
                found = [
                    event
                    for _, event in self.events
                    if event["type"] == kind and all(event.get(k) == v for k, v in fields.items())
                ]
                if len(found) >= count:
                    return found[:count]
                if self._reader.done():
                    raise AssertionError(f"socket closed with {len(found)} {kind} {fields}")
                self._news.clear()
                await self._news.wait()

    async def wait_audio(self, seconds: float, timeout: float = 5.0) -> bytes:
        """At least `seconds` of received audio, concatenated."""
        wanted = int(seconds * RATE) * 2
        async with asyncio.timeout(timeout):
            while sum(len(a) for _, a in self.audio) < wanted:
                self._news.clear()
                await self._news.wait()
        return self.received_pcm()

    def received_pcm(self) -> bytes:
        return b"".join(a for _, a in self.audio)

    async def send_paced(self, pcm: bytes, rate: int = RATE) -> float:
        """Send like a microphone: a 20 ms frame when each frame has been captured.
        Returns the loop time at which the last frame went out."""
        step = 2 * int(FRAME_S * rate)
        start = self._loop.time()
        sent_at = start
        for n, offset in enumerate(range(0, len(pcm), step), start=1):
            await asyncio.sleep(max(0.0, start + n * FRAME_S - self._loop.time()))
            await self.ws.send_bytes(pcm[offset : offset + step])
            sent_at = self._loop.time()
        return sent_at

    async def wait_closed(self, timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            await self._reader

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)
