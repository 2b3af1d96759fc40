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


def ticks(
    collector: Any, count: int, rows: int, *, check: Any = None, fresh: bool = True
) -> list[int]:
    """``count`` timer ticks, each after a batch of ``rows`` kept rows (two new objects
    each, as a burst of notifications leaves); the generations collected. ``fresh``:
    from a full collection, with every count at zero."""
    kept: list[Any] = []
    if fresh:
        gc.collect()

    def run() -> None:
        for _ in range(count):
            for i in range(rows):
                row: dict[str, Any] = {"id": i, "links": []}
                row["links"].append(row)
                kept.append(row)
            collector.collect_due()
            if check is not None:
                check()

    return generations_collected(run)


def test_a_big_batch_goes_through_the_middle_generation_at_once(gui_thread_gc: Any) -> None:
    """The 97 ms pause: ten big batches promoted into generation 1, then walked at once.
    A big batch (10,000 new objects, over ten times the threshold) is now collected
    together with generation 1, which stays empty."""

    def middle_is_empty() -> None:
        assert gc.get_count()[1] == 0

    collected = ticks(gui_thread_gc, 25, 5_000, check=middle_is_empty)
    # Every young collection takes generation 1 along (and, every dozen, a full one).
    assert set(collected) == {1, 2}


def test_small_batches_follow_the_interpreters_rule(gui_thread_gc: Any) -> None:
    # 2,000 new objects a tick: a young collection is due; generation 1 once it counts
    # more than threshold[1] of them.
    assert ticks(gui_thread_gc, 24, 1_000) == ([0] * 11 + [1]) * 2


def test_full_collections_come_by_the_interpreters_count_within_their_time_budget(
    gui_thread_gc: Any, monkeypatch: Any
) -> None:
    from voicepanel.ui import gui_thread_gc as module

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    # As the interpreter counts: more than threshold[2] generation-1 collections.
    assert ticks(gui_thread_gc, 12, 5_000) == [1] * 11 + [2]
    # The full collection "took" no time on the frozen clock; a slow one pushes the next
    # one later, by 50 times its length.
    gui_thread_gc._next_full_at = clock[0] + 10.0
    assert 2 not in ticks(gui_thread_gc, 30, 5_000, fresh=False)
    clock[0] += 10.0
    assert ticks(gui_thread_gc, 1, 5_000, fresh=False) == [2]
