"""Asking the system to run a real-time thread first: the audio loop's thread and the
PortAudio callback threads. A round-robin real-time priority where the user may have one
(root, or a session with an rtprio limit, as audio groups and PipeWire's rtkit give),
else a higher "nice" priority, else nothing: the audio still runs, it just competes with
everything else on a busy machine."""

from __future__ import annotations

import os
import sys

RT_PRIORITY = 10
"""Low among real-time priorities (PipeWire's own threads use 20 and more)."""
NICE = -10


def raise_thread_priority() -> str:
    """For the calling thread; says what it got ("realtime", "nice" or "normal")."""
    if not sys.platform.startswith("linux"):
        return "normal"
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(RT_PRIORITY))
        return "realtime"
    except (OSError, AttributeError):
        pass
    try:
        # On Linux a "process" priority given a thread id sets that thread alone.
        import threading

        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        return "nice"
    except (OSError, AttributeError):
        return "normal"
