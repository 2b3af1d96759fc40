"""A list of change callbacks: subscribe returns an unsubscribe, and a failing listener is
logged, never allowed to break the model that emits or the listeners after it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Callbacks(Generic[T]):
    """Listeners for one kind of event carrying a value of type ``T``."""

    def __init__(self, name: str = "") -> None:
        self._name = name
        self._listeners: list[Callable[[T], object]] = []

    def subscribe(self, callback: Callable[[T], object]) -> Callable[[], None]:
        """Adds a listener; call the returned function to remove it (twice is harmless)."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def emit(self, value: T) -> None:
        # A copy: a listener may unsubscribe itself while being called.
        for callback in list(self._listeners):
            try:
                callback(value)
            except Exception:
                log.exception("A %s listener failed", self._name or "change")

    def __len__(self) -> int:
        return len(self._listeners)

    def clear(self) -> None:
        self._listeners.clear()
