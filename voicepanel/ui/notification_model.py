"""The notifications table: rows appended in batches, capped, and filtered by a proxy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from voicepanel.core.notifications import PanelKind, RecordSource
from voicepanel.ui.state_style import Tone, tone_colour

COLUMNS = ("Time", "Kind", "Room", "Peer", "Track", "Details")
DEFAULT_ROW_CAP = 50_000
NotificationRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex

_KIND_TONES = {
    "Crashed": Tone.BAD,
    "Deleted": Tone.IDLE,
    "Removed": Tone.IDLE,
    "Disconnected": Tone.WARN,
    "Created": Tone.GOOD,
    "Added": Tone.GOOD,
    "Connected": Tone.GOOD,
}


@dataclass(frozen=True, slots=True)
class _Row:
    """One notification with the texts the view shows, computed once on arrival."""

    notification: Any
    cells: tuple[str, ...]
    search: str
    tone: Tone | None


def _row(n: Any) -> _Row:
    stamp = time.strftime("%H:%M:%S", time.localtime(n.received_at))
    stamp += f".{int((n.received_at % 1) * 1000):03d}"
    details = json.dumps(n.details, separators=(", ", ": "), default=str) if n.details else ""
    kind = n.kind
    tone = next((t for suffix, t in _KIND_TONES.items() if n.kind.endswith(suffix)), None)
    source = getattr(n, "source", RecordSource.FISHJAM)
    if source == RecordSource.PANEL:
        # A gap in the stream reads as a sentence, not as a notification's fields.
        details = str(n.details.get("summary") or details)
        gap = n.kind == PanelKind.NOTIFIER_DISCONNECTED or n.details.get("gap_s") is not None
        tone = Tone.WARN if gap else Tone.INFO
    elif source == RecordSource.RESYNC:
        kind = f"{n.kind} (re-read)"  # inferred after a gap, never sent by the server
        tone = Tone.INFO
    cells = (stamp, kind, n.room_id or "", n.peer_id or "", n.track_id or "", details)
    return _Row(n, cells, " ".join(cells[1:]).lower(), tone)


class NotificationTableModel(QAbstractTableModel):
    """Holds what the view shows: at most ``row_cap`` newest rows (the journal keeps all)."""

    def __init__(self, row_cap: int = DEFAULT_ROW_CAP, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self.row_cap = row_cap
        self.kinds: set[str] = set()
        self.insert_batches = 0  # how many beginInsertRows calls; the burst benchmark reads it
        # The name people gave a room or peer; the Room and Peer columns show it before the id.
        self.name_of: Callable[[str], str | None] = lambda _id: None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            cell = row.cells[index.column()]
            name = self.name_of(cell) if index.column() in (2, 3) and cell else None
            return f"{name} · {cell}" if name else cell
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1 and row.tone:
            return tone_colour(row.tone)
        if role == NotificationRole:
            return row.notification
        return None

    def append(self, notifications: Sequence[Any]) -> None:
        """Appends a batch with one insert (and at most one removal of the oldest rows)."""
        if not notifications:
            return
        rows = [_row(n) for n in notifications[-self.row_cap :]]
        overflow = len(self._rows) + len(rows) - self.row_cap
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._rows[:overflow]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()
        self.insert_batches += 1
        self.kinds.update(r.notification.kind for r in rows)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def notifications(self) -> list[Any]:
        return [r.notification for r in self._rows]

    def row(self, row: int) -> tuple[Any, str]:
        """(notification, lower-case search text) without a trip through Qt's data()."""
        found = self._rows[row]
        return found.notification, found.search


class NotificationFilter(QSortFilterProxyModel):
    """Shows the rows that match a kind, a room, a peer and a free-text search. A room or
    peer matches by its id or by the name people gave it (any case)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._kind = ""
        self._room = ""
        self._peer = ""
        self._text = ""
        self._names: dict[str, str] = {}  # id -> lower-case name, for one filtering pass

    def names_changed(self) -> None:
        """A room or peer was named or renamed: rows may match, or stop matching."""
        self._names.clear()
        if self.active:
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _named(self, some_id: str | None, needle: str) -> bool:
        """True when ``some_id``'s name holds ``needle`` (lower case)."""
        if not some_id:
            return False
        name = self._names.get(some_id)
        if name is None:
            source = self.sourceModel()
            assert isinstance(source, NotificationTableModel)
            name = self._names[some_id] = (source.name_of(some_id) or "").lower()
        return needle in name

    def set_filters(
        self,
        *,
        kind: str | None = None,
        room: str | None = None,
        peer: str | None = None,
        text: str | None = None,
    ) -> None:
        self.beginFilterChange()
        self._names.clear()
        if kind is not None:
            self._kind = kind
        if room is not None:
            self._room = room.strip()
        if peer is not None:
            self._peer = peer.strip()
        if text is not None:
            self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def active(self) -> bool:
        return bool(self._kind or self._room or self._peer or self._text)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self.active:
            return True
        source = self.sourceModel()
        assert isinstance(source, NotificationTableModel)
        n, search = source.row(source_row)
        if self._kind and n.kind != self._kind:
            return False
        room, peer = self._room, self._peer
        if room and room not in (n.room_id or "") and not self._named(n.room_id, room.lower()):
            return False
        if peer and peer not in (n.peer_id or "") and not self._named(n.peer_id, peer.lower()):
            return False
        text = self._text
        return (
            not text
            or text in search
            or self._named(n.room_id, text)
            or self._named(n.peer_id, text)
        )

    def shown(self) -> list[Any]:
        """The notifications the view shows, in order."""
        return [self.index(r, 0).data(NotificationRole) for r in range(self.rowCount())]
