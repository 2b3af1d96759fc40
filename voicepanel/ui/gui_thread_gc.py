"""Cyclic garbage collected on the GUI thread only.

Python collects cyclic garbage on whichever thread allocates when a threshold is crossed.
In VoicePanel that is often not the Qt thread (the audio thread, the SDKs' worker threads,
qasync's executor), and a Qt object freed by such a collection is destroyed off the thread
that owns it: a known cause of rare crashes in PySide applications (pyqtgraph collects on
its GUI thread for the same reason). So automatic collection is off while the window runs,
and a timer on the GUI thread collects instead.

A timer sees allocations in batches: what the window did since the last tick, a lot more
during a burst of notifications. Left to the interpreter's rule of one generation-1
collection per ten young ones, generation 1 piled up ten big batches and its collection
walked them all: 49-97 ms with the interpreter lock held during 10,000 notifications
(benchmarks/audio_burst.py), long enough for an agent's speaker to run dry. So a big
batch (ten times the young threshold) is collected together with generation 1, which is
then empty; small ones follow the interpreter's rule, so garbage that lives a little
longer is still found young. Full collections come by the interpreter's count, no more
often than keeps them to 2 % of the time: its own guard against walking a big heap over
and over cannot be read from Python. The audio's deferral of full collections
(``core/audio/gc_pauses``) works through threshold[2], so it holds here too.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 100
BIG_BATCH = 10
"""A tick's allocations this many times the young threshold go through generation 1 at once."""
FULL_COLLECTION_SHARE = 0.02
"""Full collections take at most this share of the time (after a 0.3 s one, 15 s pass)."""


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._next_full_at = 0.0

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect_due(self) -> None:
        young_threshold, middle_threshold, full_threshold = gc.get_threshold()
        young, middle, middle_collections = gc.get_count()
        now = time.monotonic()
        if middle_collections > full_threshold and now >= self._next_full_at:
            gc.collect()
            done = time.monotonic()
            self._next_full_at = done + (done - now) / FULL_COLLECTION_SHARE
        elif young > young_threshold * BIG_BATCH or (
            young > young_threshold and middle > middle_threshold
        ):
            gc.collect(1)
        elif young > young_threshold:
            gc.collect(0)
