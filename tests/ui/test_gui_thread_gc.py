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
