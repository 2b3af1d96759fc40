"""What the local agent heard, as a scenario needs it: the agent's own voice-to-voice turns
(``on_turn``: the end of what it said to the first audible frame of the reply) and the
spans of the room's sound, start and end, found by energy in every frame the agent plays
or, with no speaker, would play (its far-end tap). All on ``time.perf_counter``.

The tap runs on the audio loop; it only runs the detector and hands each start or end to
the runner's loop, which keeps the lists.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from voicepanel.core.audio.latency import Turn
from voicepanel.core.audio.ringbuffer import Samples
from voicepanel.core.audio.vad import EnergyVad, VadConfig, VadEventKind
from voicepanel.session.observable import Callbacks

T = TypeVar("T")

REPLY_PAUSE_S = 0.8
"""A pause longer than this ends a reply: speech has shorter ones (commas, breaths), and an
assistant that repeats a turn keeps the turn's pauses, which were shorter than its end of
turn."""


class ListenedAgent(Protocol):
    """What the ears use of a LocalAgent."""

    frame_s: float
    far_end_tap: Callable[[Samples], None] | None

    @property
    def on_turn(self) -> Callbacks[Turn]: ...


@dataclass
class HeardSpan:
    start: float
    end: float | None = None


class Ears:
    def __init__(self, agent: ListenedAgent) -> None:
        self._agent = agent
        self._loop = asyncio.get_running_loop()
        # As the agent's latency meter hears a reply: from its first voiced frame.
        self._vad = EnergyVad(VadConfig(onset_frames=1))
        self._frame_s = agent.frame_s
        self._last_at = 0.0
        self.spans: list[HeardSpan] = []
        self.turns: list[Turn] = []
        self._changed = asyncio.Event()
        self._unsubscribe = agent.on_turn.subscribe(self._on_turn)
        agent.far_end_tap = self._heard

    def close(self) -> None:
        if self._agent.far_end_tap == self._heard:
            self._agent.far_end_tap = None
        self._unsubscribe()

    # -- on the audio loop ----------------------------------------------------------------

    def _heard(self, frame: Samples) -> None:
        at = max(time.perf_counter(), self._last_at + self._frame_s)
        self._last_at = at
        event = self._vad.process(frame, at, self._frame_s)
        if event is not None:
            with contextlib.suppress(RuntimeError):  # the runner's loop has closed
                self._loop.call_soon_threadsafe(self._apply, event.kind, event.at)

    # -- on the runner's loop -------------------------------------------------------------

    def _apply(self, kind: VadEventKind, at: float) -> None:
        if kind is VadEventKind.SPEECH_START:
            self.spans.append(HeardSpan(at))
        elif self.spans and self.spans[-1].end is None:
            self.spans[-1].end = at
        self._changed.set()

    def _on_turn(self, turn: Turn) -> None:
        self.turns.append(turn)
        self._changed.set()

    async def wait_for(self, found: Callable[[], T], timeout_s: float) -> T:
        """Waits until ``found()`` is truthy (checked at each change) or the time is up;
        returns its last value."""
        deadline = time.perf_counter() + timeout_s
        while True:
            value = found()
            remaining = deadline - time.perf_counter()
            if value or remaining <= 0:
                return value
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.1)):
                    await self._changed.wait()

    def turn_after(self, start: float) -> Turn | None:
        """The agent's first turn whose utterance ended after ``start``."""
        return next((t for t in self.turns if t.local_end >= start), None)

    def span_after(self, start: float) -> HeardSpan | None:
        """The first sound heard that began at or after ``start``."""
        return next((s for s in self.spans if s.start >= start), None)

    def reply_at(self, moment: float) -> HeardSpan | None:
        """The reply heard from ``moment`` (a reply start): the sound around it and what
        follows with pauses shorter than ``REPLY_PAUSE_S``, as one span. Its end is None
        while it may still go on (the last sound has not ended, or ended too recently)."""
        first = next(
            (
                i
                for i, s in enumerate(self.spans)
                if s.start - 0.1 <= moment and (s.end is None or moment <= s.end + 0.1)
            ),
            None,
        )
        if first is None:
            first = next((i for i, s in enumerate(self.spans) if s.start >= moment - 0.1), None)
        if first is None:
            return None
        last = self.spans[first]
        for span in self.spans[first + 1 :]:
            if last.end is None or span.start - last.end > REPLY_PAUSE_S:
                break
            last = span
        end = last.end
        if end is not None and last is self.spans[-1] and time.perf_counter() - end < REPLY_PAUSE_S:
            end = None
        return HeardSpan(self.spans[first].start, end)
