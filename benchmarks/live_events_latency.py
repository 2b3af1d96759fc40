"""How soon a call's live event shows in its card: from the sandbox posting it to the
line being in the card's transcript.

    QT_QPA_PLATFORM=offscreen python benchmarks/live_events_latency.py [--calls 4 --turns 10]

The sandbox runs in a process of its own (as VAPI's cloud would) and the panel (main
window offscreen, real Workspace with its receiver, calls dock) here on the qasync loop.
``--calls`` Echo calls run at once, each in its own room with an SDK agent that speaks
``--turns`` sentences (voiced sounds the sandbox hears as speech); the Echo answers each,
so every turn brings partial and final transcript lines for both sides.

A line's latency is from the ``timestamp`` the sandbox put in the post (``time.time()``
when it posted) to the moment the card's transcript holds the line, checked right after
the calls dock has applied each batch. Split: post -> receiver (the request arriving) and
receiver -> card (journal, conversation, the ~30 Hz batch to the window, the card).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from notification_burst import open_panel, sandbox_process

RATE = 16000


def voice(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.asarray(
        sum(np.sin(2 * np.pi * 220 * k * t) / k for k in (1, 2, 3)) * 0.25, np.float32
    )


async def speak(ws: Any, room_id: str, turns: int) -> None:
    """An SDK agent says ``turns`` sentences of 1 s, 4.5 s apart, then stays quiet."""
    from fishjam.agent import OutgoingAudioTrackOptions

    from voicepanel.core.audio.pcm import to_pcm16

    agent = await ws.create_agent(room_id)
    sentence = np.concatenate([voice(1.0), np.zeros(int(4.5 * RATE), np.float32)])
    frames = np.concatenate([sentence] * turns)
    silence = to_pcm16(np.zeros(320, np.float32))
    async with agent.connect() as session:
        track = await session.add_track(OutgoingAudioTrackOptions(sample_rate=RATE))  # type: ignore[arg-type]
        start, sent = time.perf_counter(), 0
        while True:
            i = sent * 320
            await track.send_chunk(to_pcm16(frames[i : i + 320]) if i < len(frames) else silence)
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * 0.02 - time.perf_counter()))


class LineClock:
    """Times each transcript line from its post to the card showing it."""

    def __init__(self, window: Any, live: Any) -> None:
        self.window = window
        self.posted: dict[tuple[str, str, bool], tuple[float, float]] = {}
        self.to_card: list[float] = []
        self.to_receiver: list[float] = []
        self.receiver_to_card: list[float] = []
        live.on_entry.subscribe(self._entry)

    def _entry(self, event: Any) -> None:
        if getattr(event, "type", None) != "transcript":
            return
        d = event.details
        key = (event.call_id, d["transcript"], d["transcriptType"] == "final")
        self.posted.setdefault(key, (event.at, event.received_at))

    def check(self, _changed: Any = None) -> None:
        """Right after the calls dock applied a batch: which lines does each card hold?"""
        now = time.time()
        for call_id, card in self.window.calls.cards.items():
            view = card.transcript_view
            shown = [(call_id, line.text, True) for line in view._lines]
            shown += [
                (call_id, line.text, False)
                for line in card.conversation().transcript()
                if not line.final and line.text in view.hearing.text()
            ]
            for key in shown:
                times = self.posted.pop(key, None)
                if times is not None:
                    at, received = times
                    self.to_card.append(now - at)
                    self.to_receiver.append(received - at)
                    self.receiver_to_card.append(now - received)


async def measure(url: str, calls: int, turns: int) -> dict[str, Any]:
    window, host = await open_panel(url)
    ws = host.workspace
    assert ws is not None and ws.live is not None and host.bridge is not None
    clock = LineClock(window, ws.live)
    host.bridge.conversations_changed.connect(clock.check)  # after the dock's own slot
    echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
    rooms = []
    for _ in range(calls):  # every call first: starting one parses VAPI's models on the loop
        room = await ws.create_room()
        await ws.add_vapi_assistant(room.id, assistant_id=echo)
        rooms.append(room.id)
    await asyncio.sleep(1.0)
    speakers = [asyncio.create_task(speak(ws, room_id, turns)) for room_id in rooms]
    await asyncio.sleep(turns * 5.5 + 4.0)
    for task in speakers:
        task.cancel()
    await asyncio.gather(*speakers, return_exceptions=True)
    window._quitting = True  # noqa: SLF001 - no quit prompt in a benchmark
    await host.close()
    window.close()
    return {
        "lines": len(clock.to_card),
        "to_card": clock.to_card,
        "to_receiver": clock.to_receiver,
        "receiver_to_card": clock.receiver_to_card,
    }


def pct(values: list[float], q: float) -> str:
    return f"{np.percentile(np.asarray(values) * 1000, q):.1f}" if values else "-"


async def run(calls: int, turns: int) -> None:
    with sandbox_process() as url:
        r = await measure(url, calls, turns)
    print(f"{calls} Echo calls at once, {turns} turns each: {r['lines']} lines")
    print("| ms, p50 / p99 (max) | post -> card | post -> receiver | receiver -> card |")
    print("|---|---:|---:|---:|")
    print(
        f"| a transcript line | {pct(r['to_card'], 50)} / {pct(r['to_card'], 99)} "
        f"({max(r['to_card']) * 1000:.1f}) "
        f"| {pct(r['to_receiver'], 50)} / {pct(r['to_receiver'], 99)} "
        f"| {pct(r['receiver_to_card'], 50)} / {pct(r['receiver_to_card'], 99)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Live event to card latency.")
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    home = Path(tempfile.mkdtemp(prefix="voicepanel-live-latency-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing the window ends the measurement, not Qt
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(run(args.calls, args.turns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
