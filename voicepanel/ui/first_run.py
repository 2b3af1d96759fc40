"""The welcome shown on the first start: what the sandbox is and how to add a cloud profile."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

WELCOME = """
<h2>Welcome to VoicePanel</h2>
<p>You are looking at the <b>offline sandbox</b>: a small Fishjam and VAPI server running
inside the app. Nothing here needs an account, costs money or leaves this computer, so
try anything.</p>
<ul>
<li><b>Ctrl+N</b> creates a room. Select it to add a WebRTC peer (you get its token), a
VAPI assistant (<b>Ctrl+Shift+V</b>; the sandbox's <i>Echo</i> repeats what it hears), or
join it yourself as a local agent.</li>
<li>Every server notification appears live at the bottom. Filter it, pause it, export it
(<b>Ctrl+E</b>) for a bug report.</li>
</ul>
<p><b>Using Fishjam Cloud?</b> Open <b>Profiles…</b> in the toolbar, add a <i>Fishjam
Cloud</i> profile with your Fishjam ID and management token from the Fishjam dashboard
(and your VAPI private key for assistants), press <b>Check</b>, then pick it in the
toolbar's profile list. Secrets go to your system keyring (or, on a computer without
one, to a file encrypted with your passphrase), never to a settings file.</p>
"""


class FirstRunDialog(QDialog):
    """Shown once; opened with ``open()`` so the panel behind it is already live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to VoicePanel")
        layout = QVBoxLayout(self)
        text = QLabel(WELCOME)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(text)
        buttons = QDialogButtonBox()
        buttons.addButton("Start exploring", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
