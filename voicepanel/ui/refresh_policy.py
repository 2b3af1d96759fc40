"""When to re-read rooms from REST: often while things change, rarely when they do not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RefreshBackoff:
    """Doubles the interval after each refresh that changed nothing, up to ``max_s``.

    Notifications keep the tree live; the periodic refresh only catches what a notifier
    gap missed, so a quiet workspace need not poll every few seconds.
    """

    min_s: float = 5.0
    max_s: float = 120.0
    interval_s: float = 5.0

    def after_refresh(self, changed: bool) -> float:
        self.interval_s = self.min_s if changed else min(self.interval_s * 2, self.max_s)
        return self.interval_s

    def reset(self) -> float:
        self.interval_s = self.min_s
        return self.interval_s
