"""Add a WebRTC peer: metadata as a JSON object, checked as it is typed, and a subscribe mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from voicepanel.ui.dialogs.form_dialog import FormDialog, Submit

SUBSCRIBE_MODES = (
    ("auto", "Auto: hears every other peer"),
    ("manual", "Manual: hears no one until subscribed"),
)


@dataclass(frozen=True)
class PeerRequest:
    metadata: dict[str, Any] | None
    subscribe_mode: str
    name: str = ""  # kept on this computer and put in the metadata as "name"


def parse_json_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """(object, "") when ``text`` is empty or a JSON object; (None, why) otherwise."""
    if not text.strip():
        return None, ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
    except RecursionError:
        return None, "Not valid JSON here: it is nested too deeply."
    if not isinstance(value, dict):
        return None, 'Metadata must be a JSON object, like {"name": "Tester"}.'
    return value, ""


class AddPeerDialog(FormDialog):
    """Builds a PeerRequest; ``submit(request)`` creates the peer and returns (peer, token)."""

    def __init__(self, submit: Submit | None, parent: QWidget | None = None) -> None:
        super().__init__("Add WebRTC peer", "Add peer", submit, parent)
        self.setObjectName("addPeerDialog")
        self.name = QLineEdit()
        self.name.setObjectName("peerName")
        self.name.setPlaceholderText("e.g. Alice's phone")
        self.metadata = QPlainTextEdit()
        self.metadata.setObjectName("peerMetadata")
        self.metadata.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.metadata.setPlaceholderText('{"name": "Tester"}')
        self.metadata.setFixedHeight(110)
        self.metadata.textChanged.connect(self.revalidate)
        self.subscribe_mode = subscribe_mode_box()
        self.add_row("Name", self.name, hint="Optional. Also sent in the metadata.")
        # Two lines: a JSON error ("Expecting property name ... (line 1, column 2)") wraps.
        self.add_row(
            "Metadata", self.metadata, "metadata", "Optional. A JSON object.", note_lines=2
        )
        self.add_row("Subscribe mode", self.subscribe_mode)
        self.setMinimumWidth(460)
        self.revalidate()

    def errors(self) -> dict[str, str]:
        _, why = parse_json_object(self.metadata.toPlainText())
        return {"metadata": why} if why else {}

    def value(self) -> PeerRequest:
        metadata, _ = parse_json_object(self.metadata.toPlainText())
        return PeerRequest(metadata, self.subscribe_mode.currentData(), self.name.text().strip())


def subscribe_mode_box() -> QComboBox:
    box = QComboBox()
    box.setObjectName("subscribeMode")
    for mode, text in SUBSCRIBE_MODES:
        box.addItem(text, mode)
    return box
