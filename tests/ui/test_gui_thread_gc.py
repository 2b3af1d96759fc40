"""Cyclic garbage is collected on the Qt thread, never on the thread that happened to
allocate (a Qt object must be destroyed on the thread that owns it)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from panel_helpers import until


async def test_garbage_made_on_another_thread_is_collected_on_the_qt_thread(
    gui_thread_gc: Any,
) -> None:
    collected_on: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected_on.append(threading.current_thread().name)

    def make_cycles() -> None:
        for _ in range(50_000):
            node: dict[str, Any] = {}
            node["self"] = node

    gc.callbacks.append(note)
    try:
        worker = threading.Thread(target=make_cycles, name="worker")
        worker.start()
        worker.join()
        assert "worker" not in collected_on
        await until(lambda: collected_on, 5, "a collection")
    finally:
        gc.callbacks.remove(note)
    assert set(collected_on) == {threading.main_thread().name}


def generations_collected(work) -> list[int]:  # type: ignore[no-untyped-def]
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        work()
    finally:
        gc.callbacks.remove(note)
    return seen


def keep_rows(kept: list[Any], count: int) -> None:
    """What a burst of notifications leaves between two ticks: rows that stay."""
    for i in range(count):
        row: dict[str, Any] = {"id": i, "links": []}
        row["links"].append(row)
        kept.append(row)


def test_a_tick_leaves_nothing_in_the_middle_generation_so_no_pause_walks_ten_batches(
    gui_thread_gc: Any,
) -> None:
    """The 97 ms pause: ten big young batches promoted into generation 1, then walked at
    once. Every tick now collects 0 and 1 together."""
    kept: list[Any] = []
    gc.collect()

    def ticks() -> None:
        for _ in range(25):
            keep_rows(kept, 5_000)
            gui_thread_gc.collect_due()
            assert gc.get_count()[1] == 0

    assert generations_collected(ticks) == [1] * 25


def test_a_full_collection_comes_after_a_hundred_young_ones_and_not_again_at_once(
    gui_thread_gc: Any, monkeypatch: Any
) -> None:
    from voicepanel.ui import gui_thread_gc as module

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    kept: list[Any] = []
    gc.collect()

    def ticks(count: int) -> None:
        for _ in range(count):
            keep_rows(kept, 1_000)
            gui_thread_gc.collect_due()

    # As the interpreter counts: more than threshold[1] x threshold[2] young collections.
    first = generations_collected(lambda: ticks(102))
    assert first == [1] * 101 + [2]
    # The full collection "took" no time on the frozen clock: the next is allowed after
    # another hundred young ones. A slow one pushes the next one later.
    gui_thread_gc._next_full_at = clock[0] + 10.0
    assert 2 not in generations_collected(lambda: ticks(150))
    clock[0] += 10.0
    assert generations_collected(lambda: ticks(1)) == [2]
