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
        self._re_read_pending = False

    def status(self, status: NotifierStatus) -> None:
        """Call on every notifier status, in order."""
        previous, self._state = self._state, status.state
        now = self._clock()
        if status.state is NotifierState.LIVE:
            self._live = True
            self._connected(previous, now)
            return
        if not self._live:
            return
        self._live = False
        self._re_read_pending = False
        if self._gap_started is None:
            self._gap_started = now
        reason = status.reason or _LEFT_BECAUSE.get(status.state, "The connection ended.")
        self._gap_reason = reason
        summary = f"Live notifications stopped: {reason}"
        if status.state is not NotifierState.STOPPED:
            summary += " Until they are back, notifications may be missing."
        self._panel(
            now,
            PanelKind.NOTIFIER_DISCONNECTED,
            from_state=previous.value,
            to_state=status.state.value,
            reason=reason,
            summary=summary,
        )

    def _connected(self, previous: NotifierState, now: float) -> None:
        self._re_read_pending = True
        details: dict[str, object] = {
            "from_state": previous.value,
            "to_state": NotifierState.LIVE.value,
            "reason": "Subscribed to server notifications.",
        }
        if self._gap_started is None:
            details["summary"] = "Live notifications started."
        else:
            gap_s = now - self._gap_started
            details |= {
                "gap_started_at": self._gap_started,
                "gap_s": round(gap_s, 3),
                "gap_reason": self._gap_reason,
                "summary": f"Gap in live notifications from {_clock_text(self._gap_started)}"
                f" to {_clock_text(now)} ({gap_s:.1f} s): notifications sent then may be"
                " missing. Re-reading every room…",
            }
        self._panel(now, PanelKind.NOTIFIER_CONNECTED, **details)

    def resynced(
        self, differences: list[TreeDifference] | None, failure: str | None = None
    ) -> None:
        """Call after the re-read that follows a connect: ``differences`` is what it found
        (None when the read failed, with ``failure`` saying why)."""
        if not self._re_read_pending:
            return
        self._re_read_pending = False
        after_gap = self._gap_started is not None
        if differences is not None:
            self._gap_started = None  # filled; a failed re-read leaves the gap open
        if not after_gap and differences == []:
            return  # the first connect, and nothing changed since the workspace opened
        now = self._clock()
        if differences is None:
            self._panel(
                now,
                PanelKind.ROOMS_RE_READ,
                resync=f"failed: {failure or 'unknown error'}",
                summary=f"The re-read of the rooms failed ({failure}); press Refresh.",
            )
            return
        counts = _counts(differences)
        found = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no change"
        self._panel(
            now,
            PanelKind.ROOMS_RE_READ,
            resync="ok",
            differences=counts,
            summary=f"The re-read found: {found}"
            + (" (journaled as re-read records)." if differences else "."),
        )
        for difference in differences:
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

    def _panel(self, now: float, kind: PanelKind, **details: object) -> None:
        self._record(Notification(now, kind, details=details, source=RecordSource.PANEL))


def _counts(differences: list[TreeDifference]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for difference in differences:
        counts[difference.kind] = counts.get(difference.kind, 0) + 1
    return counts
