"""On a computer without a keyring service the profile dialog offers, in one sentence, an
encrypted file or this run only; the file's passphrase is asked once per start and a wrong
one is said plainly. The real encrypted-file backend runs on a temporary folder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from panel_helpers import find_top, until
from PySide6.QtWidgets import QLabel, QPushButton

from voicepanel.session.profiles import (
    Profile,
    ProfileKind,
    ProfileStore,
    SecretMode,
    SecretName,
    SecretStore,
)
from voicepanel.ui.dialogs.passphrase import PassphraseDialog, ask_passphrase
from voicepanel.ui.dialogs.profiles import ProfilesDialog

PASSPHRASE = "correct horse battery staple"


async def test_the_profile_dialog_offers_an_encrypted_file_and_keeps_secrets_in_it(
    qtbot: Any, tmp_path: Path
) -> None:
    secrets = SecretStore(secret_file=tmp_path / "secrets.cfg")
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile("Staging", ProfileKind.CLOUD, fishjam_id="my-fishjam-id"))
    dialog = ProfilesDialog(store, secrets, store.get("Staging"))
    qtbot.addWidget(dialog)
    dialog.show()
    note = dialog.findChild(QLabel, "keyringNote").text()
    assert "No keyring on this computer" in note and "encrypted with a passphrase" in note
    button = dialog.findChild(QPushButton, "secretFileButton")
    assert button.isVisible() and button.text() == "Keep them in an encrypted file…"

    button.click()
    ask = await until(lambda: find_top(PassphraseDialog), what="the passphrase dialog")
    # Nothing typed is not a mistake yet: the note says what is needed, in grey.
    assert not ask.ok_button.isEnabled() and ask.error_text("passphrase") == ""
    ask.passphrase.setText("short")
    assert ask.error_text("passphrase") == "At least 8 characters."
    ask.passphrase.setText(PASSPHRASE)
    ask.again.setText(PASSPHRASE[:-1])
    assert not ask.ok_button.isEnabled() and ask.error_text("again")
    ask.again.setText(PASSPHRASE)
    ask.ok_button.click()
    await until(lambda: secrets.mode is SecretMode.ENCRYPTED_FILE, 20, "the file made")
    await until(lambda: not button.isVisible(), what="the offer gone")
    assert "encrypted with your passphrase" in dialog.findChild(QLabel, "keyringNote").text()

    dialog.token.setText("fj-token-0042")
    assert dialog.save() is not None
    assert "fj-token-0042" not in (tmp_path / "secrets.cfg").read_text()
    dialog.reject()

    # The next start: locked until the passphrase is typed; the token comes back.
    later = SecretStore(secret_file=tmp_path / "secrets.cfg")
    assert later.file_locked
    later.unlock_file(PASSPHRASE, store.names())
    assert later.get("Staging", SecretName.MANAGEMENT_TOKEN) == "fj-token-0042"


async def test_the_start_asks_once_says_when_the_passphrase_is_wrong_and_allows_this_run_only(
    qtbot: Any, tmp_path: Path
) -> None:
    first = SecretStore(secret_file=tmp_path / "secrets.cfg")
    first.create_file(PASSPHRASE)
    first.set("Staging", SecretName.MANAGEMENT_TOKEN, "fj-token-0042")
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile("Staging", ProfileKind.CLOUD, fishjam_id="my-fishjam-id"))

    secrets = SecretStore(secret_file=tmp_path / "secrets.cfg")
    asking = asyncio.ensure_future(ask_passphrase(None, secrets, store, creating=False))
    ask = await until(lambda: find_top(PassphraseDialog), what="asked at start")
    ask.passphrase.setText("wrong passphrase")
    ask.ok_button.click()
    await until(lambda: ask.banner.isVisible(), 20, "the refusal")
    assert "does not open the secrets file" in ask.banner.text
    ask.passphrase.setText(PASSPHRASE)
    ask.ok_button.click()
    assert await asyncio.wait_for(asking, 30) is True
    assert secrets.get("Staging", SecretName.MANAGEMENT_TOKEN) == "fj-token-0042"

    skipped = SecretStore(secret_file=tmp_path / "secrets.cfg")
    asking = asyncio.ensure_future(ask_passphrase(None, skipped, store, creating=False))
    ask = await until(lambda: find_top(PassphraseDialog), what="asked again")
    assert ask.buttons.button(ask.buttons.StandardButton.Cancel).text() == "This run only"
    ask.reject()
    assert await asyncio.wait_for(asking, 5) is False
    assert skipped.mode is SecretMode.THIS_RUN and skipped.file_locked
