"""The passphrase of the encrypted secrets file: asked once per start to unlock it, or twice
to make one. Never stored; the file is opened off the UI thread (deriving the key is slow)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from voicepanel.session.profiles import ProfileStore, SecretStore
from voicepanel.ui.async_qt import run_dialog
from voicepanel.ui.dialogs.form_dialog import FormDialog

MIN_LENGTH = 8
WHY = (
    "This computer has no keyring service, so VoicePanel keeps the tokens and keys in a file "
    "encrypted with a passphrase you type once each time it starts; it is never saved."
)


class PassphraseDialog(FormDialog):
    """``creating``: a new passphrase, typed twice; otherwise the one that opens the file."""

    def __init__(
        self,
        secrets: SecretStore,
        profiles: ProfileStore,
        *,
        creating: bool,
        parent: QWidget | None = None,
    ) -> None:
        title = "Keep secrets in an encrypted file" if creating else "Unlock your secrets"
        ok = "Create file" if creating else "Unlock"
        super().__init__(title, ok, self._apply, parent)
        self.setObjectName("passphraseDialog")
        self._secrets = secrets
        self._profiles = profiles
        self._creating = creating
        intro = QLabel(WHY)
        intro.setWordWrap(True)
        self.outer.insertWidget(1, intro)
        self.passphrase = _secret_edit("passphrase")
        self.again = _secret_edit("passphraseAgain")
        self.add_row(
            "Passphrase",
            self.passphrase,
            "passphrase",
            f"At least {MIN_LENGTH} characters." if creating else "",
        )
        if creating:
            self.add_row("Again", self.again, "again")
        for edit in (self.passphrase, self.again):
            edit.textChanged.connect(self.revalidate)
        self.buttons.button(self.buttons.StandardButton.Cancel).setText("This run only")
        self.setMinimumWidth(480)
        self.revalidate()

    def errors(self) -> dict[str, str]:
        text = self.passphrase.text()
        if not self._creating:
            return {} if text else {"passphrase": ""}
        if len(text) < MIN_LENGTH:
            # Nothing typed yet is not a mistake: the grey hint says what is needed.
            return {"passphrase": f"At least {MIN_LENGTH} characters." if text else ""}
        if self.again.text() != text:
            return {"again": "The two do not match yet."}
        return {}

    def value(self) -> str:
        return self.passphrase.text()

    async def _apply(self, passphrase: str) -> Any:
        if self._creating:
            await asyncio.to_thread(self._secrets.create_file, passphrase)
        else:
            names = self._profiles.names()
            await asyncio.to_thread(self._secrets.unlock_file, passphrase, names)
        return True


async def ask_passphrase(
    parent: QWidget, secrets: SecretStore, profiles: ProfileStore, *, creating: bool
) -> bool:
    """True when the file is now open; False: the person chose this run only."""
    dialog = PassphraseDialog(secrets, profiles, creating=creating, parent=parent)
    try:
        return bool(await run_dialog(dialog)) and secrets.file.unlocked
    finally:
        dialog.deleteLater()


def _secret_edit(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit
