"""The rooms tree: room -> peers -> tracks, with counts and state colours.

The model mirrors the session's RoomTree by diffing it on each (batched) change, so
rows keep their identity: selection and expansion survive notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from voicepanel.core.wording import plural
from voicepanel.ui.state_style import Tone, dot_icon, peer_tone, room_tone, tone_colour

NodeKeyRole = Qt.ItemDataRole.UserRole + 1
STALE_TIP = "Notifications are not live: this is the last state the server reported."
COLUMNS = ("Room / peer / track", "Type", "State")

_Index = QModelIndex | QPersistentModelIndex
Key = tuple[str, str | None, str | None]  # (room_id, peer_id, track_id)


@dataclass(eq=False)
class _Node:
    key: Key
    parent: _Node | None
    row: int = 0  # its place among its parent's children, kept current on every change
    children: list[_Node] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "track" if self.key[2] else "peer" if self.key[1] else "room"


class RoomTreeModel(QAbstractItemModel):
    """A Qt view of a RoomTree; call ``sync()`` when it changed. Rooms and peers show the
    name people gave them (their id in the tooltip) and are renamed in place (F2)."""

    rename_failed = Signal(object)  # VoicePanelError: the name could not be saved

    def __init__(
        self,
        tree: Any = None,
        parent: Any = None,
        peer_name: Callable[[Any], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._tree = tree
        self._names: Any = None  # the workspace's NameBook
        self.stale = False  # True while notifications are not live
        # A person's name for a peer (given here, assistant, metadata), shown for its id.
        self.peer_name: Callable[[Any], str | None] = peer_name or metadata_name
        self._root = _Node(("", None, None), None)
        # Nodes removed in the last sync stay referenced a little longer: Qt may still
        # hold raw pointers to them in indexes it has not yet dropped.
        self._retired: list[_Node] = []
        if tree is not None:
            self.sync()

    # -- what the views ask -------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node: _Node = index.internalPointer()
        up = node.parent
        if up is None or up is self._root or up.parent is None:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: _Node = index.internalPointer()
        if role == NodeKeyRole:
            return node.key
        item = self.lookup(node.key)
        if item is None:
            return None
        if node.kind != "track" and index.column() == 0:
            name = self.peer_name(item) if node.kind == "peer" else self.room_name(item.id)
            if role == Qt.ItemDataRole.DisplayRole:
                return name or item.id
            if role == Qt.ItemDataRole.EditRole:
                return name or ""
            if role == Qt.ItemDataRole.ToolTipRole and not _crashed(node.kind, item):
                what = node.kind.capitalize()
                return f"{what} id {item.id}\nF2 or right-click › Rename… to name it"
        if self.stale and node.kind != "track" and index.column() in (0, 2):
            # The server is not answering: what the tree knows may no longer be true.
            if role == Qt.ItemDataRole.DecorationRole:
                return dot_icon(Tone.IDLE)
            if role == Qt.ItemDataRole.ForegroundRole:
                return tone_colour(Tone.IDLE)
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 2:
                return f"{_describe(node.kind, item, 2, role)} (last known)"
            if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
                return STALE_TIP
        return _describe(node.kind, item, index.column(), role)

    def set_stale(self, stale: bool) -> None:
        """Marks every state as last known (the notifier is not live) or current again."""
        if stale == self.stale:
            return
        self.stale = stale
        self.sync(None)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0 and index.internalPointer().kind != "track":
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or self._names is None or not index.isValid():
            return False
        room_id, peer_id, _ = index.internalPointer().key
        try:
            if peer_id is None:
                self._names.name_room(room_id, str(value))
            else:
                self._names.name_peer(peer_id, str(value))
        except Exception as error:  # noqa: BLE001 - the window shows it
            self.rename_failed.emit(error)
        self.dataChanged.emit(index, index)
        return True

    def room_name(self, room_id: str) -> str | None:
        return self._names.room(room_id) if self._names is not None else None

    # -- keeping in step with the RoomTree --------------------------------------------

    def set_tree(self, tree: Any, names: Any = None) -> None:
        self.beginResetModel()
        self._tree = tree
        self._names = names
        self._root.children.clear()
        self.endResetModel()
        self.sync()

    def lookup(self, key: Key) -> Any:
        """The RoomView, PeerView or TrackView for a key, or None when it is gone."""
        if self._tree is None:
            return None
        room_id, peer_id, track_id = key
        room = self._tree.rooms.get(room_id)
        if room is None or peer_id is None:
            return room
        peer = room.peers.get(peer_id)
        if peer is None or track_id is None:
            return peer
        return peer.tracks.get(track_id)

    def index_of(self, key: Key) -> QModelIndex:
        """The row for a room, peer or track key (invalid when it is not in the tree)."""
        node, index = self._root, QModelIndex()
        depth = sum(1 for part in key if part is not None)
        for level in range(1, depth + 1):
            prefix = key[:level] + (None,) * (3 - level)
            row = next((i for i, c in enumerate(node.children) if c.key == prefix), None)
            if row is None:
                return QModelIndex()
            index = self.index(row, 0, index)
            node = node.children[row]
        return index

    def sync(self, room_ids: Iterable[str] | None = None) -> None:
        """Brings the rows in line with the RoomTree with minimal inserts and removals.

        ``room_ids`` names the rooms that changed (None: all of them); only their rows are
        re-read, so a view over hundreds of rooms is not redrawn for one peer's change.
        """
        self._retired.clear()
        rooms = self._tree.rooms if self._tree is not None else {}
        added = self._sync_children(self._root, QModelIndex(), [(rid, None, None) for rid in rooms])
        changed = set(rooms) if room_ids is None else (set(room_ids) & set(rooms)) | added
        for row, room_node in enumerate(self._root.children):
            room_id = room_node.key[0]
            if room_id not in changed:
                continue
            room = rooms[room_id]
            room_index = self.index(row, 0)
            self.dataChanged.emit(room_index, self.index(row, len(COLUMNS) - 1))
            self._sync_children(room_node, room_index, [(room_id, p, None) for p in room.peers])
            for prow, peer_node in enumerate(room_node.children):
                peer = room.peers[peer_node.key[1]]
                self._sync_children(
                    peer_node,
                    self.index(prow, 0, room_index),
                    [(room_id, peer.id, t) for t in peer.tracks],
                )
            self._changed_children(room_node, room_index)

    def _sync_children(self, node: _Node, index: QModelIndex, keys: Sequence[Key]) -> set[str]:
        """Removes vanished rows and appends new ones; returns the new rows' room ids."""
        wanted = set(keys)
        # Remove runs of vanished rows from the bottom up, so row numbers stay valid.
        row = len(node.children) - 1
        while row >= 0:
            if node.children[row].key in wanted:
                row -= 1
                continue
            last = row
            while row - 1 >= 0 and node.children[row - 1].key not in wanted:
                row -= 1
            self.beginRemoveRows(index, row, last)
            self._retired.extend(node.children[row : last + 1])
            del node.children[row : last + 1]
            for number, child in enumerate(node.children[row:], start=row):
                child.row = number
            self.endRemoveRows()
            row -= 1
        present = {c.key for c in node.children}
        new = [k for k in keys if k not in present]
        if new:
            first = len(node.children)
            self.beginInsertRows(index, first, first + len(new) - 1)
            node.children.extend(_Node(k, node, first + i) for i, k in enumerate(new))
            self.endInsertRows()
        return {k[0] for k in new}

    def _changed_children(self, node: _Node, index: QModelIndex) -> None:
        """Tells the views that every row under ``node`` (peers and their tracks) changed."""
        if not node.children:
            return
        last = len(node.children) - 1
        self.dataChanged.emit(self.index(0, 0, index), self.index(last, len(COLUMNS) - 1, index))
        for child in node.children:
            self._changed_children(child, self.index(child.row, 0, index))

    def _node(self, index: _Index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root


NAME_KEYS = ("name", "displayName")
"""Where clients put a peer's name in its metadata: ours writes "name"; Fishjam's own
example apps join with ``peerMetadata: { displayName }``."""


def metadata_name(peer: Any) -> str | None:
    """The name a client put in the peer's metadata, wherever the server keeps it."""
    metadata = peer.metadata if isinstance(peer.metadata, dict) else {}
    for place in (metadata.get("peer"), metadata.get("server"), metadata):
        if not isinstance(place, dict):
            continue
        for key in NAME_KEYS:
            value = place.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _crashed(kind: str, item: Any) -> bool:
    if kind == "room":
        return bool(getattr(item, "crashed", False))
    return _state_name(item) == "CRASHED"


def _state_name(peer: Any) -> str:
    state = peer.state
    return getattr(state, "name", str(state)).upper()


def _describe(kind: str, item: Any, column: int, role: int) -> Any:
    display = role == Qt.ItemDataRole.DisplayRole
    if kind == "room":
        crashed = bool(getattr(item, "crashed", False))
        if display:
            if column == 0:
                return item.id
            if column == 1:
                return item.config.room_type.replace("_", " ")
            connected = sum(1 for p in item.peers.values() if _state_name(p) == "CONNECTED")
            text = plural(len(item.peers), "peer")
            if item.peers:
                text += f", {connected} connected"
            return "crashed" if crashed else text
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return dot_icon(room_tone(crashed))
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and crashed:
            return tone_colour(Tone.BAD)
        return None
    if kind == "peer":
        state = _state_name(item)
        tone = peer_tone(state)
        if display:
            if column == 0:
                return item.id
            if column == 1:
                return item.type
            text = state.lower()
            if item.tracks:
                text += f" · {plural(len(item.tracks), 'track')}"
            return text
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return dot_icon(tone)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return tone_colour(tone)
        if role == Qt.ItemDataRole.ToolTipRole and state == "CRASHED":
            return f"Crashed: {item.crash_reason or 'no reason given'}"
        return None
    if display:
        if column == 0:
            return item.id
        if column == 1:
            return item.type
        return ""
    return None
