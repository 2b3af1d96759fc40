"""Profiles: the built-in sandbox and Fishjam Cloud accounts, with Check and secret storage,
and the public address through which VAPI's live events reach this computer, with Test."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.vapi_events import public_url_problem
from voicepanel.session.live_events import check_public_address, free_port, profile_secret
from voicepanel.session.profiles import (
    SANDBOX_PROFILE_NAME,
    Profile,
    ProfileKind,
    ProfileStore,
    SecretMode,
    SecretName,
    SecretStore,
    check_profile,
)
from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.labels import alive
from voicepanel.ui.state_style import Tone, tint, tone_colour

NEW_PROFILE = "New profile"
OPEN_PROFILE_HINT = "Switch that window to another profile, or close it, first."
TUNNEL_TEXT = (
    "To see calls live, VAPI must reach this computer: run <code>cloudflared tunnel --url "
    "http://localhost:{port}</code> (or <code>ngrok http {port}</code>) and paste the https "
    "address it prints here."
)
SANDBOX_TEXT = (
    "The built-in sandbox runs inside VoicePanel: a local Fishjam and VAPI stand-in with "
    "an Echo and a Greeter assistant. No account, no cost; nothing leaves this computer."
)


class ProfilesDialog(QDialog):
    """Edits profiles; ``connect_to`` is the profile to switch to when it closes, if any
    (``for_new_window``: to open in a new window, and the buttons say so)."""

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        current: Profile | None,
        parent: QWidget | None = None,
        *,
        running_live: Callable[[str], Any] = lambda _name: None,
        is_open: Callable[[str], bool] = lambda _name: False,
        for_new_window: bool = False,
    ) -> None:
        super().__init__(parent)
        self._is_open = is_open
        """Whether a window has the profile open: its calls, journal, ledger and names are
        filed under its name, so it is neither deleted nor renamed under that window."""
        self._verb = "open in a new window" if for_new_window else "connect"
        self._running_live = running_live  # profile name -> its open LiveEvents, if any
        self._events_port: int | None = None
        self.setObjectName("profilesDialog")
        self.setWindowTitle("Open a profile in a new window" if for_new_window else "Profiles")
        self.store = store
        self.secrets = secrets
        self.connect_to: Profile | None = None
        self._editing: str | None = None  # the saved name of the profile in the editor

        outer = QVBoxLayout(self)
        self.banner = ErrorBanner(self)
        outer.addWidget(self.banner)
        split = QSplitter()
        outer.addWidget(split, 1)

        left = QWidget()
        left_col = QVBoxLayout(left)
        left_col.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("profileList")
        self.list.currentTextChanged.connect(self._load)
        add = QPushButton("Add Fishjam Cloud profile")
        add.setObjectName("addProfile")
        add.clicked.connect(self.add_profile)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("deleteProfile")
        self.delete_button.clicked.connect(self.delete_profile)
        left_col.addWidget(self.list, 1)
        left_col.addWidget(add)
        left_col.addWidget(self.delete_button)
        split.addWidget(left)

        right = QWidget()
        self.editor = QVBoxLayout(right)
        self.editor.setContentsMargins(8, 0, 0, 0)
        self.kind_label = QLabel()
        self.kind_label.setObjectName("profileKind")
        self.kind_label.setWordWrap(True)
        self.editor.addWidget(self.kind_label)
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name = _edit("profileName", "e.g. Staging")
        self.fishjam_id = _edit("fishjamId", "Fishjam ID from the dashboard, or https://… URL")
        self.token = _secret_edit("managementToken", "Management token from the dashboard")
        self.vapi_key = _secret_edit("vapiKey", "Optional: VAPI private API key")
        self.vapi_url = _edit("vapiUrl", "Optional: leave empty for VAPI cloud")
        self.public_url = _edit("publicUrl", "Optional: https://… address of a tunnel")
        self.show_secrets = QCheckBox("Show secrets")
        self.show_secrets.toggled.connect(self._toggle_secrets)
        form.addRow("Name", self.name)
        form.addRow("Fishjam ID or URL", self.fishjam_id)
        form.addRow("Management token", self.token)
        form.addRow("VAPI private key", self.vapi_key)
        form.addRow("VAPI address", self.vapi_url)
        form.addRow("", self.show_secrets)
        form.addRow("Live events address", self._public_url_row())
        self.tunnel_help = QLabel()
        self.tunnel_help.setObjectName("tunnelHelp")
        self.tunnel_help.setWordWrap(True)
        self.tunnel_help.setTextFormat(Qt.TextFormat.RichText)
        self.tunnel_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.tunnel_help)
        self.test_result = QLabel()
        self.test_result.setObjectName("publicUrlTestResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("", self.test_result)
        self.field_error = QLabel()
        self.field_error.setObjectName("profileFieldError")
        self.field_error.setWordWrap(True)
        tint(self.field_error, Tone.BAD)
        form.addRow("", self.field_error)
        self.editor.addWidget(self.form_box)
        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        self.editor.addWidget(self.keyring_note)
        self.secret_file_button = QPushButton()
        self.secret_file_button.setObjectName("secretFileButton")
        self.secret_file_button.clicked.connect(self.open_secret_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.secret_file_button)
        file_row.addStretch(1)
        self.editor.addLayout(file_row)
        self.check_result = QLabel()
        self.check_result.setObjectName("checkResult")
        self.check_result.setWordWrap(True)
        self.check_result.setTextFormat(Qt.TextFormat.RichText)
        self.editor.addWidget(self.check_result)
        self.editor.addStretch(1)
        split.addWidget(right)
        split.setSizes([200, 480])

        bottom = QHBoxLayout()
        self.busy = BusyIndicator(self)
        bottom.addWidget(self.busy)
        bottom.addStretch(1)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkProfile")
        self.check_button.setToolTip("Try the token and key without saving")
        self.check_button.clicked.connect(self.check)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveProfile")
        self.save_button.clicked.connect(self.save)
        self.connect_button = QPushButton(f"Save and {self._verb}")
        self.connect_button.setObjectName("connectProfile")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.save_and_connect)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for widget in (self.check_button, self.save_button, self.connect_button, close):
            bottom.addWidget(widget)
        outer.addLayout(bottom)

        for edit in (self.name, self.fishjam_id, self.vapi_url, self.public_url):
            edit.textChanged.connect(self.revalidate)
        self.public_url.textChanged.connect(self.test_result.clear)
        self.setMinimumSize(720, 420)
        self._fill_list(current.name if current else SANDBOX_PROFILE_NAME)

    def _public_url_row(self) -> QWidget:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.public_url, 1)
        self.test_button = QPushButton("Test")
        self.test_button.setObjectName("testPublicUrl")
        self.test_button.setToolTip("Post through the address and see it arrive here")
        self.test_button.clicked.connect(self.test_public_url)
        line.addWidget(self.test_button)
        return row

    # -- list -----------------------------------------------------------------------------

    def _fill_list(self, select: str) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for profile in self.store.profiles():
            self.list.addItem(profile.name)
        self.list.blockSignals(False)
        rows = [self.list.item(i).text() for i in range(self.list.count())]
        self.list.setCurrentRow(rows.index(select) if select in rows else 0)
        self._load(self.list.currentItem().text() if self.list.currentItem() else "")

    def _load(self, name: str) -> None:
        self.banner.hide()
        self.check_result.clear()
        profile = self.store.get(name)
        self._editing = name if profile is not None else None
        sandbox = profile is not None and profile.is_sandbox
        self.form_box.setVisible(not sandbox)
        open_now = profile is not None and self._is_open(name)
        self.delete_button.setEnabled(profile is not None and not sandbox and not open_now)
        self.delete_button.setToolTip(
            f"This profile is open in a window. {OPEN_PROFILE_HINT}" if open_now else ""
        )
        self.save_button.setEnabled(not sandbox)
        if sandbox:
            self.kind_label.setText(f"<b>Offline sandbox</b><br>{SANDBOX_TEXT}")
            self.keyring_note.clear()
            self.secret_file_button.hide()
            self.connect_button.setText(self._verb.capitalize())
            self.connect_button.setEnabled(True)
            return
        self.kind_label.setText("<b>Fishjam Cloud</b> (or a self-hosted Fishjam at a URL)")
        self.connect_button.setText(f"Save and {self._verb}")
        self.name.setText(profile.name if profile else "")
        self.fishjam_id.setText(profile.fishjam_id if profile else "")
        self.vapi_url.setText((profile.vapi_base_url or "") if profile else "")
        self.public_url.setText((profile.public_url or "") if profile else "")
        self._events_port = (profile.events_port if profile else None) or free_port()
        self.tunnel_help.setText(TUNNEL_TEXT.format(port=self._events_port))
        self.test_result.clear()
        self.token.setText(
            self.secrets.get(name, SecretName.MANAGEMENT_TOKEN) or "" if profile else ""
        )
        self.vapi_key.setText(self.secrets.get(name, SecretName.VAPI_KEY) or "" if profile else "")
        self._show_keyring_note()
        self.revalidate()

    def _show_keyring_note(self) -> None:
        mode = self.secrets.mode
        button = ""
        if mode is SecretMode.KEYRING:
            text = (
                f"Secrets are saved in the system keyring ({self.secrets.backend_name}), "
                "never in a file."
            )
        elif mode is SecretMode.ENCRYPTED_FILE:
            text = (
                "Secrets are saved in a file encrypted with your passphrase, which is asked "
                "once each time VoicePanel starts and never saved."
            )
        elif self.secrets.file_locked:
            text = (
                "<b>Your encrypted secrets file is locked:</b> unlock it with its passphrase, "
                "or type the token and key for this run only."
            )
            button = "Unlock secrets file…"
        else:
            text = (
                "<b>No keyring on this computer:</b> keep the token and key for this run "
                "only, or in a file encrypted with a passphrase you type once each start."
            )
            button = "Keep them in an encrypted file…"
        self.keyring_note.setText(text)
        self.secret_file_button.setText(button)
        self.secret_file_button.setVisible(bool(button))

    @asyncSlot()
    async def open_secret_file(self) -> None:
        from voicepanel.ui.dialogs.passphrase import ask_passphrase

        creating = not self.secrets.file_locked
        opened = await ask_passphrase(self, self.secrets, self.store, creating=creating)
        if opened and alive(self) and self._editing:
            self._load(self._editing)  # its secrets may have come out of the file
        if alive(self):
            self._show_keyring_note()

    def add_profile(self) -> None:
        self.list.blockSignals(True)
        self.list.addItem(NEW_PROFILE)
        self.list.setCurrentRow(self.list.count() - 1)
        self.list.blockSignals(False)
        self._load("")
        self.name.setText("")
        self.name.setFocus()

    def delete_profile(self) -> None:
        if self._editing is None:
            self._fill_list(SANDBOX_PROFILE_NAME)
            return
        try:
            self.store.delete(self._editing, self.secrets)
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            log_failure(error)
            self.banner.show_error(error)
            return
        self._fill_list(SANDBOX_PROFILE_NAME)

    # -- editing ----------------------------------------------------------------------------

    def _toggle_secrets(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.token.setEchoMode(mode)
        self.vapi_key.setEchoMode(mode)

    def _profile(self) -> Profile:
        return Profile(
            name=self.name.text().strip(),
            kind=ProfileKind.CLOUD,
            fishjam_id=self.fishjam_id.text().strip(),
            vapi_base_url=self.vapi_url.text().strip() or None,
            events_port=self._events_port,
            public_url=self.public_url.text().strip() or None,
        )

    def errors(self) -> list[str]:
        if self._is_sandbox():
            return []
        problems = []
        name = self.name.text().strip()
        if not name:
            problems.append("Give the profile a name.")
        elif name == SANDBOX_PROFILE_NAME:
            problems.append(f'"{SANDBOX_PROFILE_NAME}" is the built-in profile; pick another name.')
        elif name != self._editing and self.store.get(name) is not None:
            problems.append(f'A profile named "{name}" already exists.')
        fishjam = self.fishjam_id.text().strip()
        if not fishjam:
            problems.append("Enter the Fishjam ID (or the server's URL).")
        elif "://" in fishjam and not _is_http_url(fishjam):
            problems.append("The Fishjam URL must start with http:// or https://.")
        vapi = self.vapi_url.text().strip()
        if vapi and not _is_http_url(vapi):
            problems.append("The VAPI address must start with http:// or https://.")
        public = self.public_url.text().strip()
        if public and (problem := public_url_problem(public)):
            problems.append(problem)
        return problems

    def revalidate(self) -> bool:
        problems = self.errors()
        self.field_error.setText("\n".join(problems))
        self.field_error.setVisible(bool(problems))
        self.save_button.setEnabled(not problems and not self._is_sandbox())
        self.connect_button.setEnabled(not problems)
        self.check_button.setEnabled(not problems)
        self.test_button.setEnabled(not problems and bool(self.public_url.text().strip()))
        return not problems

    def _is_sandbox(self) -> bool:
        return self._editing == SANDBOX_PROFILE_NAME

    # -- actions --------------------------------------------------------------------------

    @asyncSlot()
    async def check(self) -> None:
        if not self._is_sandbox() and not self.revalidate():
            return
        profile = self.store.get(SANDBOX_PROFILE_NAME) if self._is_sandbox() else self._profile()
        assert profile is not None
        self.check_result.setText("Checking…")
        try:
            with self.busy.busy(self.check_button, self.connect_button, self.save_button):
                result = await check_profile(profile, self.token.text(), self.vapi_key.text())
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            log_failure(error)
            if alive(self):
                self.check_result.clear()
                self.banner.show_error(error)
            return
        if not alive(self):
            return
        self.check_result.setText(
            _result_line("Fishjam", result.fishjam_ok, result.fishjam_text)
            + "<br>"
            + _result_line("VAPI", result.vapi_ok, result.vapi_text, optional=True)
        )

    @asyncSlot()
    async def test_public_url(self) -> None:
        """Proves that a post to the public address reaches VoicePanel, or says why not."""
        if self._is_sandbox() or not self.revalidate() or self._events_port is None:
            return
        name = self._editing or self.name.text().strip()
        running = self._running_live(name) if self._editing else None
        self.test_result.setText("Testing…")
        try:
            with self.busy.busy(self.test_button, self.connect_button, self.save_button):
                secret = profile_secret(self.secrets, name)
                result = await check_public_address(
                    self.public_url.text().strip(), self._events_port, secret, running
                )
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            log_failure(error)
            if alive(self):
                self.test_result.clear()
                self.banner.show_error(error)
            return
        if alive(self):
            self.test_result.setText(_result_line("Live events", result.ok, result.text))

    def save(self) -> Profile | None:
        if self._is_sandbox():
            return self.store.get(SANDBOX_PROFILE_NAME)
        if not self.revalidate():
            return None
        profile = self._profile()
        if self._editing and self._editing != profile.name and self._is_open(self._editing):
            self.banner.show_error(
                VoicePanelError(
                    f'"{self._editing}" is open in a window, so it keeps its name for now.',
                    f"Its calls, journal and names are filed under that name. {OPEN_PROFILE_HINT}",
                )
            )
            return None
        try:
            saved = self.store.save(profile)
            if self._editing and self._editing != saved.name:
                self.store.delete(self._editing, self.secrets)
            self.secrets.set(saved.name, SecretName.MANAGEMENT_TOKEN, self.token.text().strip())
            self.secrets.set(saved.name, SecretName.VAPI_KEY, self.vapi_key.text().strip())
        except Exception as error:  # noqa: BLE001 - shown here, cause logged
            log_failure(error)
            self.banner.show_error(error)
            return None
        where = self.secrets.mode.value
        self.banner.show_message(
            f'Saved "{saved.name}".', f"Secrets are in {where}.", tone=Tone.GOOD, timeout_ms=6000
        )
        self._fill_list(saved.name)
        return saved

    def save_and_connect(self) -> None:
        saved = self.save()
        if saved is not None:
            self.connect_to = saved
            self.accept()


def _edit(name: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _secret_edit(name: str, placeholder: str) -> QLineEdit:
    edit = _edit(name, placeholder)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _is_http_url(text: str) -> bool:
    parsed = urlparse(text)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _result_line(what: str, ok: bool, text: str, optional: bool = False) -> str:
    tone = Tone.GOOD if ok else (Tone.WARN if optional else Tone.BAD)
    colour = tone_colour(tone).name()
    mark = "✔" if ok else ("–" if optional else "✘")
    words = html.escape(text, quote=False)
    return f"<span style='color:{colour}'>{mark} <b>{what}:</b></span> {words}"
