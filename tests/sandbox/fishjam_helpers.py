"""Helpers for the sandbox's Fishjam tests: a live notification log and test audio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WAIT_S = 10.0


def kind(notification: Any) -> str:
    return type(notification).__name__.removeprefix("ServerMessage")


@dataclass
class NotificationLog:
    """Everything a `FishjamNotifier` delivered, with a way to await what is expected."""

    items: list[Any] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, notification: Any) -> None:
        self.items.append(notification)
        self._changed.set()

    def kinds(self, room_id: str | None = None) -> list[str]:
        return [
            kind(n) for n in self.items if room_id is None or getattr(n, "room_id", None) == room_id
        ]

    async def wait_for(self, predicate: Callable[[Any], bool], timeout: float = WAIT_S) -> Any:
        async def find() -> Any:
            seen = 0
            while True:
                for item in self.items[seen:]:
                    if predicate(item):
                        return item
                seen = len(self.items)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def wait_kind(self, name: str, **fields: Any) -> Any:
        return await self.wait_for(
            lambda n: kind(n) == name and all(getattr(n, k) == v for k, v in fields.items())
        )


def tone(freq_hz: float, seconds: float, rate: int, amplitude: int = 12000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq_hz * t) * amplitude).astype("<i2").tobytes()


def silence(seconds: float, rate: int) -> bytes:
    return bytes(int(seconds * rate) * 2)


def peak_hz(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@dataclass
class Reception:
    """Audio one agent received from one peer, with arrival times."""

    data: bytearray = field(default_factory=bytearray)
    arrivals: list[float] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        self.arrivals.append(time.monotonic())
        self.chunk_sizes.append(len(chunk))

    @property
    def span_s(self) -> float:
        return self.arrivals[-1] - self.arrivals[0] if self.arrivals else 0.0


async def receive_audio(session: Any, nbytes: int, timeout: float = WAIT_S) -> Reception:
    """Collect at least `nbytes` of audio from an agent session."""
    reception = Reception()

    async def collect() -> None:
        async for message in session.receive():
            reception.add(message.data)
            if len(reception.data) >= nbytes:
                return

    await asyncio.wait_for(collect(), timeout)
    return reception
