"""While an agent's audio plays, the process makes no full garbage collection (one held
the interpreter, and so the audio, for 0.7-1.5 s in the window's process after a flood of
notifications); the usual collections come back when it stops."""

from __future__ import annotations

import gc

from voicepanel.core.audio.engine import AudioEngine


class Unheard:
    """The engine's reports, not looked at here."""

    def levels(self, levels: object) -> None: ...
    def turn(self, turn: object) -> None: ...
    def error(self, error: object) -> None: ...
    def devices_changed(self) -> None: ...
    def peer_appeared(self, peer_id: str) -> None: ...


def full_collections_during(work) -> int:  # type: ignore[no-untyped-def]
    seen: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(note)
    try:
        work()
    finally:
        gc.callbacks.remove(note)
    return len(seen)


def a_busy_window() -> None:
    """What a flood of notifications does to the heap: many objects that stay (rows),
    and cyclic garbage."""
    kept = []
    for i in range(120_000):
        row = {"id": i, "links": []}
        row["links"].append(row)
        if i % 3 == 0:
            kept.append(row)


async def test_no_full_collection_while_the_audio_plays_and_they_come_back_after() -> None:
    engine = AudioEngine(16000, Unheard())
    engine.start()
    try:
        during = full_collections_during(a_busy_window)
    finally:
        await engine.stop()
    after = full_collections_during(a_busy_window)

    assert during == 0
    assert after >= 1
