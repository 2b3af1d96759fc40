"""A peer's token, shown because the person asked for it: copy it or get a fresh one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.labels import alive

Refresh = Callable[[], Awaitable[str]]


class PeerTokenDialog(QDialog):
    """Shows the token a client needs to join as this peer."""

    def __init__(
        self,
        room_id: str,
        peer_id: str,
        token: str,
        refresh: Refresh | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("peerTokenDialog")
        self.setWindowTitle("Peer token")
        self._refresh = refresh
        layout = QVBoxLayout(self)
        self.banner = ErrorBanner(self)
        layout.addWidget(self.banner)
        intro = QLabel(
            "Give this token to the client that joins as this peer. Anyone holding it can "
            "join the room as this peer, so share it only with that client."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for label, value in (("Room id", room_id), ("Peer id", peer_id)):
            field = QLineEdit(value)
            field.setReadOnly(True)
            field.setFont(fixed)
            form.addRow(label, field)
        self.token_edit = QLineEdit(token)
        self.token_edit.setObjectName("peerToken")
        self.token_edit.setReadOnly(True)
        self.token_edit.setFont(fixed)
        self.token_edit.setCursorPosition(0)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyToken")
        self.copy_button.clicked.connect(self.copy)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("refreshToken")
        self.refresh_button.setToolTip("Issue a new token for this peer")
        self.refresh_button.setEnabled(refresh is not None)
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.refresh_button)
        form.addRow("Token", row)
        layout.addLayout(form)
        self.status = QLabel()
        self.status.setObjectName("tokenStatus")
        bottom = QHBoxLayout()
        self.busy = BusyIndicator(self)
        bottom.addWidget(self.busy)
        bottom.addWidget(self.status, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self.setMinimumWidth(620)

    @property
    def token(self) -> str:
        return self.token_edit.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.token)
        self.status.setText("Copied to the clipboard.")

    @asyncSlot()
    async def refresh(self) -> None:
        if self._refresh is None:
            return
        self.banner.hide()
        try:
            with self.busy.busy(self.refresh_button, self.copy_button):
                token = await self._refresh()
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            log_failure(error)
            if alive(self):
                self.banner.show_error(error)
            return
        if not alive(self):
            return
        self.token_edit.setText(token)
        self.token_edit.setCursorPosition(0)
        self.status.setText("New token issued: give this one to the peer.")
