"""The one place where the session's plain callbacks become Qt signals.

Session callbacks run on the asyncio loop, which is qasync's, on the Qt main thread;
they only append to buffers here. A ~30 Hz timer turns the buffers into a few signals,
so a burst of ten thousand notifications costs the views a handful of updates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from voicepanel.session.workspace import Workspace

FLUSH_INTERVAL_MS = 33
CONVERSATION_GATHER_S = 0.008
BUSY_CONVERSATION_INTERVAL_S = 0.020
"""A call card's conversation is redrawn 8 ms after a change (VAPI's events come in small
clusters: speech stopped, the final line, the conversation), so a line shows as it is
heard; and at most 50 times a second however fast they come, since each redraw costs the
window about a millisecond."""


class WorkspaceBridge(QObject):
    """Adapts one Workspace's callbacks to batched Qt signals."""

    notifications = Signal(list)  # journal entries (notifications, VAPI events), oldest first
    tree_changed = Signal(object)  # frozenset of changed room ids, or None: re-read all
    notifier_status = Signal(object)  # NotifierStatus
    calls_changed = Signal()  # the CallBook changed since the last flush
    conversations_changed = Signal(object)  # frozenset of call ids whose conversation changed

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._pending: list[Any] = []
        self._tree_rooms: set[str] = set()
        self._tree_reset = False
        self._calls_dirty = False
        self._conversations: set[str] = set()
        self._unsubscribe: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        self._soon = QTimer(self, singleShot=True)
        self._soon.timeout.connect(self._flush_conversations)
        self._last_flush = 0.0  # when conversation changes last went out
        self._connect()
        self._timer.start()

    def _connect(self) -> None:
        ws = self.workspace
        self._unsubscribe += [
            ws.tree.subscribe(self._on_tree_change),
            ws.on_notification(self._pending.append),
            ws.on_notifier_status(self.notifier_status.emit),
        ]
        if ws.has_vapi:  # without a VAPI key there is no call book
            self._unsubscribe.append(ws.calls.on_change(self._on_calls_change))
        if ws.live is not None:
            self._unsubscribe += [
                ws.live.on_entry.subscribe(self._pending.append),
                ws.live.on_conversation.subscribe(self._on_conversation_change),
            ]

    def _on_tree_change(self, change: Any) -> None:
        if change.room_id is None:  # a reset: every room may have changed
            self._tree_reset = True
        else:
            self._tree_rooms.add(change.room_id)

    def _on_calls_change(self, *_args: Any) -> None:
        self._calls_dirty = True

    def _on_conversation_change(self, call_id: str) -> None:
        self._conversations.add(call_id)
        if not self._soon.isActive():
            since = time.monotonic() - self._last_flush
            wait_s = max(CONVERSATION_GATHER_S, BUSY_CONVERSATION_INTERVAL_S - since)
            self._soon.start(round(wait_s * 1000))

    def _flush_conversations(self) -> None:
        if self._conversations:
            self._last_flush = time.monotonic()
            changed = frozenset(self._conversations)
            self._conversations.clear()
            self.conversations_changed.emit(changed)

    def flush(self) -> None:
        """Emits what arrived since the last flush; the timer calls it ~30 times a second."""
        if self._pending:
            batch, self._pending[:] = list(self._pending), []
            self.notifications.emit(batch)
        if self._tree_reset or self._tree_rooms:
            rooms = None if self._tree_reset else frozenset(self._tree_rooms)
            self._tree_reset = False
            self._tree_rooms.clear()
            self.tree_changed.emit(rooms)
        if self._calls_dirty:
            self._calls_dirty = False
            self.calls_changed.emit()

    def detach(self) -> None:
        """Stops listening to the workspace (before it is closed or replaced)."""
        self._timer.stop()
        self._soon.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
