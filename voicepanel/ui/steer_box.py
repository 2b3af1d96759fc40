"""Steering a call beyond say and end: add a message to the conversation (as the user or
the system, with or without a reply), mute the assistant, and listen in through the
speakers without joining the room."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.audio.listen_player import ListenState, ListenStatus
from voicepanel.ui.busy import disabled_while
from voicepanel.ui.labels import alive

AddMessage = Callable[[str, str, bool], Awaitable[None]]  # (role, content, reply)
SetMuted = Callable[[bool], Awaitable[Any]]
MakeListener = Callable[[Callable[[ListenStatus], None], float], Any]  # -> ListenPlayer
Report = Callable[[BaseException], None]

LISTEN_TEXT = {
    ListenState.CONNECTING: "Connecting…",
    ListenState.PLAYING: "Listening: customer left, assistant right.",
    ListenState.STOPPED: "",
}


class SteerBox(QWidget):
    def __init__(
        self,
        add_message: AddMessage,
        set_muted: SetMuted,
        make_listener: MakeListener,
        report: Report,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._add_message = add_message
        self._set_muted = set_muted
        self._make_listener = make_listener
        self._report = report
        self.player: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        message = QHBoxLayout()
        self.role = QComboBox()
        self.role.setObjectName("messageRole")
        self.role.addItem("As user", "user")
        self.role.addItem("As system", "system")
        self.message = QLineEdit()
        self.message.setObjectName("messageLine")
        self.message.setPlaceholderText("Add a message to the conversation…")
        self.message.returnPressed.connect(self.add_message)
        self.reply = QCheckBox("reply")
        self.reply.setObjectName("messageReply")
        self.reply.setToolTip("Let the assistant answer the message")
        self.reply.setChecked(True)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addMessageButton")
        self.add_button.clicked.connect(self.add_message)
        message.addWidget(self.role)
        message.addWidget(self.message, 1)
        message.addWidget(self.reply)
        message.addWidget(self.add_button)
        layout.addLayout(message)

        audio = QHBoxLayout()
        self.mute_button = QPushButton("Mute assistant")
        self.mute_button.setObjectName("muteAssistant")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("The assistant goes silent but keeps listening")
        self.mute_button.clicked.connect(self.toggle_mute)
        self.listen_button = QPushButton("Listen in")
        self.listen_button.setObjectName("listenButton")
        self.listen_button.setCheckable(True)
        self.listen_button.setToolTip("Hear the call through the speakers, without joining")
        self.listen_button.clicked.connect(self.toggle_listen)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setObjectName("listenVolume")
        self.volume.setRange(0, 200)
        self.volume.setValue(100)
        self.volume.setMaximumWidth(90)
        self.volume.setToolTip("Listening volume")
        self.volume.valueChanged.connect(self._volume_changed)
        audio.addWidget(self.mute_button)
        audio.addStretch(1)
        audio.addWidget(self.listen_button)
        audio.addWidget(self.volume)
        layout.addLayout(audio)
        self.listen_state = QLabel()
        self.listen_state.setObjectName("listenState")
        self.listen_state.setWordWrap(True)
        self.listen_state.hide()
        layout.addWidget(self.listen_state)

    # -- messages and mute -----------------------------------------------------------------

    @asyncSlot()
    async def add_message(self) -> None:
        text = self.message.text().strip()
        if not text:
            return
        with disabled_while(self.add_button, self.message):
            try:
                await self._add_message(self.role.currentData(), text, self.reply.isChecked())
            except Exception as error:  # noqa: BLE001 - the card shows it
                if alive(self):
                    self._report(error)
                return
        if alive(self):
            self.message.clear()

    @asyncSlot()
    async def toggle_mute(self) -> None:
        muted = self.mute_button.isChecked()
        with disabled_while(self.mute_button):
            try:
                await self._set_muted(muted)
            except Exception as error:  # noqa: BLE001 - the card shows it
                if alive(self):
                    self.mute_button.setChecked(not muted)
                    self._report(error)
                return
        if alive(self):
            self.show_muted(muted)

    def show_muted(self, muted: bool) -> None:
        self.mute_button.setChecked(muted)
        self.mute_button.setText("Unmute assistant" if muted else "Mute assistant")

    # -- listening -------------------------------------------------------------------------

    @asyncSlot()
    async def toggle_listen(self) -> None:
        if self.listen_button.isChecked():
            try:
                self.player = self._make_listener(self._listen_status, self.volume.value() / 100)
                self.player.start()
            except Exception as error:  # noqa: BLE001 - the card shows it
                self.player = None
                self.listen_button.setChecked(False)
                self._report(error)
                return
            self._show_listen(ListenStatus(ListenState.CONNECTING))
        else:
            await self.stop_listening()

    async def stop_listening(self) -> None:
        player, self.player = self.player, None
        if player is not None:
            await player.stop()
        if alive(self):
            self.listen_button.setChecked(False)
            self.listen_button.setText("Listen in")

    def _listen_status(self, status: ListenStatus) -> None:
        if alive(self):
            self._show_listen(status)

    def _show_listen(self, status: ListenStatus) -> None:
        text = LISTEN_TEXT.get(status.state, f"{status.message} {status.hint}".strip())
        self.listen_state.setText(text)
        self.listen_state.setVisible(bool(text))
        live = status.state in (ListenState.CONNECTING, ListenState.PLAYING)
        self.listen_button.setChecked(live)
        self.listen_button.setText("Stop listening" if live else "Listen in")
        if not live:
            self.player = None

    def _volume_changed(self, value: int) -> None:
        if self.player is not None:
            self.player.set_volume(value / 100)
