"""Where a process's CPU goes, thread by thread (Linux /proc): taken at the start and
the end of a measured stretch by the audio benchmarks, for the app and the bare script
alike. Python threads are named by their ``threading`` name, PortAudio's callback
threads by what the caller says they are; the rest keep the kernel's name (``threaded-ml``
is the PulseAudio client's main loop)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

Snapshot = dict[int, tuple[str, float]]
"""Thread id -> (kernel name, CPU seconds)."""


def snapshot() -> Snapshot:
    tick = os.sysconf("SC_CLK_TCK")
    taken: Snapshot = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        taken[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return taken


def by_thread(
    before: Snapshot, after: Snapshot, wall_s: float, known: dict[int, str] | None = None
) -> dict[str, float]:
    """% of one core per thread (threads of the same name summed), largest first."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    names.update(known or {})
    shares: dict[str, float] = {}
    for tid, (kernel_name, cpu) in after.items():
        spent = cpu - before.get(tid, (kernel_name, 0.0))[1]
        if spent <= 0:
            continue
        name = names.get(tid, kernel_name)
        shares[name] = shares.get(name, 0.0) + 100 * spent / wall_s
    return dict(sorted(shares.items(), key=lambda item: -item[1]))
