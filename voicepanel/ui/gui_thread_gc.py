"""Cyclic garbage collected on the GUI thread only.

Python collects cyclic garbage on whichever thread allocates when a threshold is crossed.
In VoicePanel that is often not the Qt thread (the audio thread, the SDKs' worker threads,
qasync's executor), and a Qt object freed by such a collection is destroyed off the thread
that owns it: a known cause of rare crashes in PySide applications (pyqtgraph collects on
its GUI thread for the same reason). So automatic collection is off while the window runs,
and a timer on the GUI thread collects by the interpreter's own thresholds. The audio's
deferral of full collections (``core/audio/gc_pauses``) works through those thresholds, so
it holds here too.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 100


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect_due(self) -> None:
        """The oldest generation whose count passed its threshold, as the interpreter
        would have chosen."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return
