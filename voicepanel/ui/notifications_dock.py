"""The live notifications dock: filter, pause, clear, export and reach the journal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, QModelIndex, QPersistentModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.redact import REDACTOR
from voicepanel.core.wording import plural
from voicepanel.session.export import export_csv, export_jsonl
from voicepanel.session.journal import read_journal
from voicepanel.ui.busy import disabled_while
from voicepanel.ui.feedback import Feedback
from voicepanel.ui.file_dialogs import ask_save_path
from voicepanel.ui.notification_model import NotificationFilter, NotificationTableModel

ALL_KINDS = "All kinds"
_JSONL = "JSON Lines (*.jsonl)"
_CSV = "CSV (*.csv)"


class NotificationsDock(QDockWidget):
    """Shows every notification as it arrives; the journal on disk keeps them all."""

    def __init__(self, feedback: Feedback, parent: QWidget | None = None) -> None:
        super().__init__("Notifications", parent)
        self.setObjectName("notificationsDock")
        self._feedback = feedback
        self._journal_path: Callable[[], Path | None] = lambda: None
        self._held: list[Any] = []
        self.model = NotificationTableModel(parent=self)
        self.proxy = NotificationFilter(self)
        self.proxy.setSourceModel(self.model)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._build_filters())
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        self.summary = QLabel()
        self.summary.setObjectName("notificationsSummary")
        layout.addWidget(self.summary)
        self.setWidget(body)

        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._update_summary)
        self._update_summary()

    # -- layout ---------------------------------------------------------------------------

    def _build_filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("kindFilter")
        self.kind_box.addItem(ALL_KINDS)
        self.kind_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind_box.currentTextChanged.connect(self._kind_changed)
        self.room_edit = _filter_edit("Room name or id", "roomFilter", 150)
        self.peer_edit = _filter_edit("Peer name or id", "peerFilter", 150)
        self.search_edit = _filter_edit("Search (Ctrl+F)", "searchFilter", 200)
        # Typing re-filters once it pauses: each pass reads every row (up to 50,000).
        self._typing = QTimer(self, singleShot=True, interval=150)
        self._typing.timeout.connect(self.apply_text_filters)
        for edit in (self.room_edit, self.peer_edit, self.search_edit):
            edit.textChanged.connect(self._typing.start)

        self.pause_button = QToolButton()
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.setCheckable(True)
        self.pause_button.setText("Pause")
        self.pause_button.setToolTip("Stop the list from moving; nothing is lost")
        self.pause_button.toggled.connect(self._set_paused)
        clear = QToolButton()
        clear.setText("Clear")
        clear.setToolTip("Clear the view (the journal keeps everything)")
        clear.clicked.connect(self.clear_view)
        self.export_button = QToolButton()
        self.export_button.setObjectName("exportButton")
        self.export_button.setText("Export…")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Export shown rows…", lambda: self.export(shown_only=True))
        menu.addAction("Export everything in the journal…", lambda: self.export(shown_only=False))
        self.export_button.setMenu(menu)
        journal = QToolButton()
        journal.setText("Journal folder")
        journal.setToolTip("Open the folder where every notification is kept")
        journal.clicked.connect(self.open_journal_folder)

        row.addWidget(self.kind_box)
        row.addWidget(self.room_edit)
        row.addWidget(self.peer_edit)
        row.addWidget(self.search_edit, 1)
        for button in (self.pause_button, clear, self.export_button, journal):
            row.addWidget(button)
        return row

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("notificationsTable")
        table.setModel(self.proxy)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        # Fixed widths: resizing to contents would measure every row of a 50k-row table.
        for column, width in enumerate((100, 170, 200, 200, 140)):
            header.resizeSection(column, width)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        return table

    def _kind_changed(self, text: str) -> None:
        self._refilter(kind="" if text == ALL_KINDS else text)

    def apply_text_filters(self) -> None:
        self._typing.stop()
        self._refilter(
            room=self.room_edit.text(), peer=self.peer_edit.text(), text=self.search_edit.text()
        )

    def _refilter(self, **filters: str) -> None:
        """Filters, then keeps the chosen row in view, or else the newest one: a changed
        filter never drops the person at the top of a long list."""
        chosen = QPersistentModelIndex(self.proxy.mapToSource(self.table.currentIndex()))
        self.proxy.set_filters(**filters)
        shown = self.proxy.mapFromSource(QModelIndex(chosen)) if chosen.isValid() else None
        if shown is not None and shown.isValid():
            self.table.scrollTo(shown)
        else:
            self.table.scrollToBottom()
        self._update_summary()

    # -- live data ------------------------------------------------------------------------

    def set_journal_source(self, journal_path: Callable[[], Path | None]) -> None:
        self._journal_path = journal_path

    def add_batch(self, notifications: list[Any]) -> None:
        """Called by the bridge ~30 times a second at most, with everything that arrived."""
        if self.pause_button.isChecked():
            self._held.extend(notifications)
            self._update_summary()
            return
        self._append(notifications)

    def _append(self, notifications: list[Any]) -> None:
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        before = set(self.model.kinds)
        self.model.append(notifications)
        for kind in sorted(self.model.kinds - before):
            self.kind_box.addItem(kind)
        if at_bottom:
            self.table.scrollToBottom()

    def _set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if not paused and self._held:
            held, self._held = self._held, []
            self._append(held)
        self._update_summary()

    def clear_view(self) -> None:
        self.model.clear()
        self._held.clear()
        self._update_summary()

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _update_summary(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = f"{shown:,} shown" if self.proxy.active else plural(total, "notification")
        if self.proxy.active:
            text += f" of {total:,}"
        if self.pause_button.isChecked():
            text += f" · paused, {len(self._held):,} waiting"
        if total >= self.model.row_cap:
            text += f" · view keeps the newest {self.model.row_cap:,}; the journal keeps all"
        self.summary.setText(text)

    # -- export and journal ---------------------------------------------------------------

    @asyncSlot()
    async def export(self, shown_only: bool = True) -> None:
        """Asks where to save, then writes the shown rows or the whole journal."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        suggested = Path(QDir.homePath()) / f"voicepanel-notifications-{stamp}.jsonl"
        choice = await ask_save_path(self, "Export notifications", suggested, [_JSONL, _CSV])
        if choice is None:
            return
        path, name_filter = choice
        if not path.suffix:
            path = path.with_suffix(".csv" if name_filter == _CSV else ".jsonl")
        count = await self.export_to(path, shown_only=shown_only)
        if count is not None:
            self._feedback.tell(f"Exported {plural(count, 'notification')} to {path}.")

    async def export_to(self, path: Path, *, shown_only: bool) -> int | None:
        """Writes JSON Lines, or CSV when ``path`` ends in .csv; None when it failed."""
        journal = self._journal_path()
        items = self.proxy.shown() if shown_only else None
        writer = export_csv if path.suffix.lower() == ".csv" else export_jsonl

        def write() -> int:
            rows = items if items is not None else (read_journal(journal) if journal else [])
            try:
                return writer(rows, path, REDACTOR)
            except OSError as error:
                raise VoicePanelError(
                    f"Could not write {path.name}.",
                    f"{error.strerror or error}. Choose another folder.",
                    cause=error,
                ) from error

        try:
            with disabled_while(self.export_button, cursor=self):
                return await asyncio.to_thread(write)
        except Exception as error:  # noqa: BLE001 - shown to the person, cause logged
            self._feedback.fail(error)
            return None

    def open_journal_folder(self) -> None:
        journal = self._journal_path()
        if journal is None:
            self._feedback.tell("No journal yet.", "It starts when a workspace is open.")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(journal.parent)))


def _filter_edit(placeholder: str, name: str, width: int) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    edit.setMinimumWidth(width // 2)
    edit.setMaximumWidth(width * 2)
    edit.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return edit
