"""Add a VAPI assistant to a room: a saved one from the API, or one described in JSON."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.assistant_check import assistant_config_problem
from voicepanel.ui.dialogs.add_peer import parse_json_object, subscribe_mode_box
from voicepanel.ui.dialogs.form_dialog import FormDialog, Submit
from voicepanel.ui.error_banner import log_failure
from voicepanel.ui.labels import alive

ListAssistants = Callable[[], Awaitable[list[Any]]]

STARTER_ASSISTANT: dict[str, Any] = {
    "name": "Demo assistant",
    "firstMessage": "Hi! I am the demo assistant. Ask me anything.",
    "firstMessageMode": "assistant-speaks-first",
    "model": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are a friendly, brief voice assistant."}],
    },
    "voice": {"provider": "vapi", "voiceId": "Elliot"},
    "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "en"},
    "startSpeakingPlan": {"waitSeconds": 0.4},
    "maxDurationSeconds": 600,
    "metadata": {"sandbox": {"behavior": "echo"}},
}

_SECOND_FIELDS = ("silenceTimeoutSeconds", "maxDurationSeconds")


@dataclass(frozen=True)
class VapiRequest:
    assistant_id: str | None
    assistant: dict[str, Any] | None
    auto_close: bool
    subscribe_mode: str


def check_assistant_config(text: str) -> str:
    """Why an inline assistant config cannot be sent (VAPI would refuse it), or ""."""
    if not text.strip():
        return "Describe the assistant as a JSON object (press Starter template)."
    config, why = parse_json_object(text)
    if why:
        return why.replace("Metadata", "The assistant")
    assert config is not None
    for key in _SECOND_FIELDS:
        if key not in config:
            continue
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f'"{key}" must be a number of seconds.'
        if value <= 0:
            return f'"{key}" must be more than 0.'
    return assistant_config_problem(config)


class AddVapiDialog(FormDialog):
    """Lists saved assistants when it opens; ``submit(VapiRequest)`` starts the call."""

    def __init__(
        self,
        room: str,
        list_assistants: ListAssistants | None,
        submit: Submit | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add VAPI assistant", "Start call", submit, parent)
        self.setObjectName("addVapiDialog")
        self._list_assistants = list_assistants
        intro = QLabel(
            f"Starts a VAPI call and puts the assistant into room <b>{html.escape(room)}</b> "
            "as a VAPI peer. It hears one peer at a time; everyone hears it."
        )
        intro.setWordWrap(True)
        self.outer.insertWidget(1, intro)

        self.use_saved = QRadioButton("A saved assistant")
        self.use_saved.setObjectName("useSaved")
        self.use_inline = QRadioButton("An assistant described here (JSON)")
        self.use_inline.setObjectName("useInline")
        group = QButtonGroup(self)
        group.addButton(self.use_saved)
        group.addButton(self.use_inline)
        self.use_saved.setChecked(True)
        self.assistants = QListWidget()
        self.assistants.setObjectName("assistantList")
        self.assistants.setMinimumHeight(110)
        self.assistants.currentItemChanged.connect(self.revalidate)
        self.config = QPlainTextEdit()
        self.config.setObjectName("assistantConfig")
        self.config.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.config.setPlaceholderText('{"name": "My assistant", "firstMessage": "Hello!"}')
        self.config.setMinimumHeight(170)
        self.config.textChanged.connect(self.revalidate)
        starter = QPushButton("Starter template")
        starter.setObjectName("starterTemplate")
        starter.clicked.connect(self.use_starter)
        self.auto_close = QCheckBox("Close the room when every other peer has left (auto close)")
        self.auto_close.setObjectName("autoClose")
        self.auto_close.setChecked(True)
        self.subscribe_mode = subscribe_mode_box()

        self.add_row("", self.use_saved)
        self.add_row(
            "Assistant", self.assistants, "assistant", "Choose an assistant, or describe one below."
        )
        self.add_row("", self.use_inline)
        self.add_row("Config", self.config, "config")
        self.add_row("", starter)
        self.add_row("", self.auto_close)
        self.add_row("Subscribe mode", self.subscribe_mode)
        self.use_saved.toggled.connect(self._mode_changed)
        self.setMinimumWidth(560)
        self._mode_changed()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        # On the list, not its radio button: the arrow keys then choose an assistant
        # (on the radio they switched to the JSON mode) and Return starts the call.
        if self.use_saved.isChecked() and not event.spontaneous():
            self.assistants.setFocus(Qt.FocusReason.OtherFocusReason)

    def _mode_changed(self) -> None:
        saved = self.use_saved.isChecked()
        self.assistants.setEnabled(saved)
        self.config.setEnabled(not saved)
        self.revalidate()

    def use_starter(self) -> None:
        self.use_inline.setChecked(True)
        self.config.setPlainText(json.dumps(STARTER_ASSISTANT, indent=2))

    def errors(self) -> dict[str, str]:
        if self.use_saved.isChecked():
            if self.assistants.currentItem() is None:
                return {"assistant": ""}  # not a mistake: the grey note says what to do
            return {}
        why = check_assistant_config(self.config.toPlainText())
        return {"config": why} if why else {}

    def value(self) -> VapiRequest:
        auto_close = self.auto_close.isChecked()
        mode = self.subscribe_mode.currentData()
        if self.use_saved.isChecked():
            item = self.assistants.currentItem()
            return VapiRequest(item.data(Qt.ItemDataRole.UserRole), None, auto_close, mode)
        config, _ = parse_json_object(self.config.toPlainText())
        return VapiRequest(None, config, auto_close, mode)

    def select_assistant(self, name: str) -> bool:
        for row in range(self.assistants.count()):
            if self.assistants.item(row).text().split(" · ")[0] == name:
                self.assistants.setCurrentRow(row)
                return True
        return False

    @asyncSlot()
    async def load_assistants(self) -> None:
        """Fills the list from the API; the dialog stays usable (inline JSON) if it fails."""
        if self._list_assistants is None:
            return
        self.assistants.clear()
        placeholder = QListWidgetItem("Loading assistants…")
        placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
        self.assistants.addItem(placeholder)
        try:
            with self.busy.busy(self.assistants):
                found = await self._list_assistants()
        except Exception as error:  # noqa: BLE001 - shown in the dialog, cause logged
            log_failure(error)
            if not alive(self):
                return
            self.assistants.clear()
            self.banner.show_error(error)
            self.use_inline.setChecked(True)
            return
        if not alive(self):
            return
        self.assistants.clear()
        for assistant in found:
            item = QListWidgetItem(f"{assistant.name or 'Unnamed'} · {assistant.id}")
            item.setData(Qt.ItemDataRole.UserRole, assistant.id)
            self.assistants.addItem(item)
        if found:
            self.assistants.setCurrentRow(0)
        else:
            empty = QListWidgetItem("No saved assistants: describe one below.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.assistants.addItem(empty)
        self.revalidate()
