"""JournalContinuity: makes every gap in the notification stream visible in the journal.

Notifications sent while the notifier is reconnecting never arrive. So the journal records
each time the link drops and comes back (from which state, to which, and why), and after
the re-read that follows a reconnect it records what changed meanwhile, as synthetic
records (source ``resync``) that say they were inferred, not received. A journal, and every
export of it, then shows where it may be incomplete and what the panel learned instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from voicepanel.core.notifications import Notification, PanelKind, RecordSource
from voicepanel.core.notifier import NotifierState, NotifierStatus
from voicepanel.session.state import TreeDifference

_LEFT_BECAUSE = {
    NotifierState.STOPPED: "The workspace closed.",
    NotifierState.CONNECTING: "The panel renewed the connection.",
}


def _clock_text(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp)) + f".{int(stamp % 1 * 1000):03d}"


class JournalContinuity:
    """Turns the notifier's statuses and the re-reads after each connect into records,
    handed to ``record`` (which journals them and shows them)."""

    def __init__(
        self, record: Callable[[Notification], None], clock: Callable[[], float] = time.time
    ) -> None:
        self._record = record
        self._clock = clock
        self._live = False
        self._gap_started: float | None = None  # when the link last dropped
        self._gap_reason: str | None = None
        self._state = NotifierState.CONNECTING
        self._awaiting_resync = False

    @property
    def in_gap(self) -> bool:
        """The link dropped and the re-read after the reconnect has not finished yet."""
        return self._gap_started is not None

    def status(self, status: NotifierStatus) -> None:
        """Call on every notifier status, in order."""
        previous, self._state = self._state, status.state
        if status.state is NotifierState.LIVE:
            self._live = True
            self._awaiting_resync = True
            return
        if not self._live:
            return
        self._live = False
        self._awaiting_resync = False
        now = self._clock()
        if self._gap_started is None:
            self._gap_started = now
        reason = status.reason or _LEFT_BECAUSE.get(status.state, "The connection ended.")
        self._gap_reason = reason
        summary = f"Live notifications stopped: {reason}"
        if status.state is not NotifierState.STOPPED:
            summary += " Until they are back, notifications may be missing."
        self._record(
            Notification(
                now,
                PanelKind.NOTIFIER_DISCONNECTED,
                details={
                    "from_state": previous.value,
                    "to_state": status.state.value,
                    "reason": reason,
                    "summary": summary,
                },
                source=RecordSource.PANEL,
            )
        )

    def resynced(
        self, differences: list[TreeDifference] | None, failure: str | None = None
    ) -> None:
        """Call after the re-read that follows a connect: ``differences`` is what it found
        (None when the read failed, with ``failure`` saying why)."""
        if not self._awaiting_resync:
            return
        self._awaiting_resync = False
        now = self._clock()
        gap_started, self._gap_started = self._gap_started, None
        details: dict[str, object] = {
            "from_state": NotifierState.CONNECTING.value,
            "to_state": NotifierState.LIVE.value,
            "reason": "Subscribed to server notifications and re-read every room.",
        }
        if gap_started is not None:
            gap_s = round(now - gap_started, 3)
            details["gap_started_at"] = gap_started
            details["gap_s"] = gap_s
            details["gap_reason"] = self._gap_reason
        if differences is None:
            details["resync"] = f"failed: {failure or 'unknown error'}"
        else:
            details["resync"] = "ok"
            details["differences"] = _counts(differences)
        details["summary"] = _summary(gap_started, now, differences, failure)
        self._record(
            Notification(
                now, PanelKind.NOTIFIER_CONNECTED, details=details, source=RecordSource.PANEL
            )
        )
        for difference in differences or []:
            self._record(
                Notification(
                    now,
                    difference.kind,
                    difference.room_id,
                    difference.peer_id,
                    difference.track_id,
                    {**difference.details, "synthetic": True, "found_by": "re-read after a gap"},
                    source=RecordSource.RESYNC,
                )
            )


def _counts(differences: list[TreeDifference]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for difference in differences:
        counts[difference.kind] = counts.get(difference.kind, 0) + 1
    return counts


def _summary(
    gap_started: float | None,
    now: float,
    differences: list[TreeDifference] | None,
    failure: str | None,
) -> str:
    if gap_started is None:
        head = "Live notifications started."
    else:
        head = (
            f"Gap in live notifications from {_clock_text(gap_started)} to {_clock_text(now)}"
            f" ({now - gap_started:.1f} s): notifications sent then may be missing."
        )
    if differences is None:
        return f"{head} The re-read failed ({failure}); press Refresh to see the rooms."
    if not differences:
        return head if gap_started is None else f"{head} The re-read found no change."
    found = ", ".join(f"{n} {kind}" for kind, n in _counts(differences).items())
    return f"{head} The re-read found: {found} (journaled as re-read records)."
