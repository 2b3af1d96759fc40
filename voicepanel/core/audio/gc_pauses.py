"""Full garbage collections held off while an agent's audio plays.

A full (generation 2) collection walks every object the process holds and keeps the
interpreter lock all along: in the window's process, after thousands of notifications,
one took 0.7-1.5 s on a loaded machine, and the audio thread and the speaker's callback
waited for all of it (the audio loop's timer was late by exactly the collection's length:
a gap heard). While any agent plays, only the young generations are collected (their
pauses are short: they see only recent objects); garbage that is both old and cyclic
waits until the last agent stops, when the usual thresholds come back. Objects freed by
reference counting, which is nearly all of them, are freed as always.
"""

from __future__ import annotations

import gc
import threading

DEFERRED_THRESHOLD = 1_000_000_000
"""Generation-1 collections before a full one: never, within any call."""

_lock = threading.Lock()
_holders = 0
_saved: int | None = None


def defer_full_collections() -> None:
    """An agent's audio starts (calls nest: one per playing agent)."""
    global _holders, _saved
    with _lock:
        _holders += 1
        if _holders == 1:
            young, middle, full = gc.get_threshold()
            _saved = full
            gc.set_threshold(young, middle, DEFERRED_THRESHOLD)


def resume_full_collections() -> None:
    """An agent's audio stopped; the last one brings the usual threshold back."""
    global _holders, _saved
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0 and _saved is not None:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, _saved)
            _saved = None


def full_collections_deferred() -> bool:
    return _holders > 0
