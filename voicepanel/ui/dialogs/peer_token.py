"""A peer's token, shown because the person asked for it: copy it, scan it from a phone as a
QR code, or get a fresh one (after saying yes: the old one stops working)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
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

from voicepanel.session.names import titled
from voicepanel.ui.async_qt import confirm
from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.labels import alive
from voicepanel.ui.qr_code import qr_pixmap

Refresh = Callable[[], Awaitable[str]]

QR_PX = 220
TOKEN_ONLY = "token"
JOIN_DETAILS = "join"


def join_details(fishjam_id: str, token: str) -> str:
    """What a client needs to join (the Fishjam client SDKs' joinRoom fields), as JSON."""
    return json.dumps({"fishjamId": fishjam_id, "peerToken": token}, separators=(",", ":"))


class PeerTokenDialog(QDialog):
    """Shows the token a client needs to join as this peer, and its QR code."""

    def __init__(
        self,
        room_id: str,
        peer_id: str,
        token: str,
        refresh: Refresh | None,
        parent: QWidget | None = None,
        *,
        room_name: str | None = None,
        peer_name: str | None = None,
        fishjam_id: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("peerTokenDialog")
        self.setWindowTitle(f"Token for {peer_name}" if peer_name else "Peer token")
        self._refresh = refresh
        self._peer = titled(peer_name, peer_id)
        self._fishjam_id = fishjam_id
        layout = QVBoxLayout(self)
        self.banner = ErrorBanner(self)
        layout.addWidget(self.banner)
        intro = QLabel(
            f"Give this token to the client that joins as {self._peer} in room "
            f"{titled(room_name, room_id)}. Anyone holding it can join the room as this "
            "peer, so share it only with that client."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        columns = QHBoxLayout()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for label, value in (("Room id", room_id), ("Peer id", peer_id)):
            field = QLineEdit(value)
            field.setReadOnly(True)
            field.setFont(fixed)
            field.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # see the Copy button below
            form.addRow(label, field)
        self.token_edit = QLineEdit(token)
        self.token_edit.setObjectName("peerToken")
        self.token_edit.setReadOnly(True)
        self.token_edit.setFont(fixed)
        self.token_edit.setCursorPosition(0)
        self.token_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        form.addRow("Token", self.token_edit)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyToken")
        self.copy_button.clicked.connect(self.copy)
        # Copying is why the dialog is open: it has the focus and Enter does it. The
        # read-only fields above take a click (to select) but not Tab, so none of them
        # starts out looking like a field to type in.
        self.copy_button.setDefault(True)
        self.refresh_button = QPushButton("New token…")
        self.refresh_button.setObjectName("refreshToken")
        self.refresh_button.setToolTip("Issue a new token for this peer; this one stops working")
        self.refresh_button.setEnabled(refresh is not None)
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        self.qr_content = QComboBox()
        self.qr_content.setObjectName("qrContent")
        self.qr_content.addItem("The token", TOKEN_ONLY)
        if fishjam_id:
            self.qr_content.addItem("Fishjam ID and token (JSON)", JOIN_DETAILS)
        self.qr_content.currentIndexChanged.connect(self._show_qr)
        form.addRow("QR code holds", self.qr_content)
        columns.addLayout(form, 1)

        code_column = QVBoxLayout()
        self.qr_label = QLabel()
        self.qr_label.setObjectName("peerTokenQr")
        self.qr_label.setFixedSize(QR_PX, QR_PX)
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setStyleSheet("background: white;")
        caption = QLabel("Scan to join from a phone")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setEnabled(False)
        code_column.addWidget(self.qr_label)
        code_column.addWidget(caption)
        code_column.addStretch(1)
        columns.addLayout(code_column)
        layout.addLayout(columns)

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
        self.setMinimumWidth(720)
        self._show_qr()

    @property
    def token(self) -> str:
        return self.token_edit.text()

    @property
    def qr_text(self) -> str:
        """What the QR code shown encodes."""
        if self.qr_content.currentData() == JOIN_DETAILS:
            return join_details(self._fishjam_id, self.token)
        return self.token

    def _show_qr(self) -> None:
        ratio = self.devicePixelRatioF()
        self.qr_label.setPixmap(qr_pixmap(self.qr_text, QR_PX, ratio))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.token)
        self.status.setText("Copied to the clipboard.")

    @asyncSlot()
    async def refresh(self) -> None:
        if self._refresh is None:
            return
        if not await confirm_new_token(self, self._peer):
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
        self._show_qr()
        self.status.setText("New token issued: give this one to the peer.")


async def confirm_new_token(parent: QWidget, peer: str) -> bool:
    """Asks before a new token is issued: Fishjam stops accepting the current one."""
    return await confirm(
        parent,
        "New token",
        f"Issue a new token for {peer}?\n\nThe current token stops working: a client that "
        "has not joined with it yet will need the new one.",
        action="Issue new token",
    )
