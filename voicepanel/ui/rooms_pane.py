"""The left pane: the rooms tree, or a short explanation when there is nothing to show."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from voicepanel.ui.room_tree_model import RoomTreeModel


class RoomsPane(QStackedWidget):
    """Page 0 is the tree; page 1 says why it is empty and offers to create a room."""

    create_room_requested = Signal()

    def __init__(self, model: RoomTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roomsPane")
        self.model = model
        self.tree = self._build_tree(model)
        self.addWidget(self.tree)
        self.addWidget(self._build_empty_state())
        model.rowsInserted.connect(self._expand_new_rows)

    def _build_tree(self, model: RoomTreeModel) -> QTreeView:
        tree = QTreeView()
        tree.setObjectName("roomTree")
        tree.setModel(model)
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # Renaming starts from F2 or the context menu, never from a stray click.
        tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Fixed widths: fitting to contents would measure every row on every change.
        for column, width in ((1, 80), (2, 160)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        return tree

    def _build_empty_state(self) -> QWidget:
        box = QWidget()
        box.setObjectName("emptyRooms")
        column = QVBoxLayout(box)
        column.addStretch(1)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        column.addWidget(self.empty_label)
        self.create_button = QPushButton("Create a room")
        self.create_button.setObjectName("emptyCreateRoom")
        self.create_button.clicked.connect(self.create_room_requested)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.create_button)
        row.addStretch(1)
        column.addLayout(row)
        column.addStretch(2)
        return box

    def show_state(self, profile_name: str | None, rooms: int) -> None:
        """``profile_name`` None: not connected; otherwise the tree, or an invitation."""
        if profile_name is None:
            self.empty_label.setText("<h3>Not connected</h3>Choose a profile in the toolbar.")
        else:
            self.empty_label.setText(
                f"<h3>No rooms yet</h3>{profile_name} has no rooms. Create one with "
                "Ctrl+N; it appears here with its peers and tracks."
            )
        self.create_button.setVisible(profile_name is not None)
        self.setCurrentIndex(0 if profile_name is not None and rooms else 1)

    def _expand_new_rows(self, parent: QModelIndex, first: int, last: int) -> None:
        # New rooms and peers open up so their peers and tracks are visible at once.
        for row in range(first, last + 1):
            self.tree.expand(self.model.index(row, 0, parent))
