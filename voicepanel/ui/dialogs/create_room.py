"""Create a room: every RoomSpec field, each checked as it is typed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import ROOM_TYPES, VIDEO_CODECS, RoomSpec
from voicepanel.ui.dialogs.form_dialog import FormDialog, Submit

_DEFAULT_CODEC = "Server default"


class CreateRoomDialog(FormDialog):
    """Builds a RoomSpec; ``submit(spec)`` creates the room."""

    def __init__(self, submit: Submit | None, parent: QWidget | None = None) -> None:
        super().__init__("Create room", "Create room", submit, parent)
        self.setObjectName("createRoomDialog")
        self.name = QLineEdit()
        self.name.setObjectName("roomName")
        self.name.setPlaceholderText("e.g. Demo room")
        self.room_type = QComboBox()
        self.room_type.setObjectName("roomType")
        for room_type in ROOM_TYPES:
            self.room_type.addItem(room_type.replace("_", " "), room_type)
        self.max_peers = QLineEdit()
        self.max_peers.setObjectName("maxPeers")
        self.max_peers.setPlaceholderText("No limit")
        self.video_codec = QComboBox()
        self.video_codec.setObjectName("videoCodec")
        self.video_codec.addItem(_DEFAULT_CODEC, None)
        for codec in VIDEO_CODECS:
            self.video_codec.addItem(codec.upper() if codec == "vp8" else "H.264", codec)
        self.webhook_url = QLineEdit()
        self.webhook_url.setObjectName("webhookUrl")
        self.webhook_url.setPlaceholderText("https://example.com/fishjam-webhook")
        self.public = QCheckBox("Anyone with the room id may join (public room)")
        self.public.setObjectName("publicRoom")
        self.batch = QCheckBox("Send webhook notifications in batches")
        self.batch.setObjectName("batchWebhooks")

        self.add_row("Name", self.name, hint="Optional. Kept on this computer, for you.")
        # Every note line says something: a blank one between fields reads as a gap.
        self.add_row(
            "Room type",
            self.room_type,
            "roomType",
            "Audio only suits voice agents; conference carries video too.",
        )
        self.add_row("Peer limit", self.max_peers, "maxPeers", "Empty or 0: no limit.")
        self.add_row("Video codec", self.video_codec)
        self.add_row(
            "Webhook URL",
            self.webhook_url,
            "webhookUrl",
            "Optional. Fishjam posts the room's events there.",
        )
        self.add_row("", self.public)
        self.add_row("", self.batch)
        for edit in (self.max_peers, self.webhook_url):
            edit.textChanged.connect(self.revalidate)
        for box in (self.room_type, self.video_codec):
            box.currentIndexChanged.connect(self.revalidate)
        self.setMinimumWidth(480)
        self.revalidate()

    def errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        peers = self.max_peers.text().strip()
        if peers and (not peers.isdigit() or int(peers) > 10_000):
            errors["maxPeers"] = "Enter a whole number from 0 to 10000, or leave it empty."
        url = self.webhook_url.text().strip()
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                errors["webhookUrl"] = "Enter a full http:// or https:// address."
        if not errors:
            # The gateway's own check is the final word on what Fishjam accepts.
            try:
                self._spec().validate()
            except VoicePanelError as error:
                errors["roomType"] = error.message
        return errors

    @property
    def room_name(self) -> str:
        return self.name.text().strip()

    def value(self) -> RoomSpec:
        return self._spec()

    def _spec(self) -> RoomSpec:
        peers = self.max_peers.text().strip()
        return RoomSpec(
            max_peers=int(peers) if peers and peers.isdigit() and int(peers) > 0 else None,
            video_codec=self.video_codec.currentData(),
            webhook_url=self.webhook_url.text().strip() or None,
            room_type=self.room_type.currentData(),
            public=self.public.isChecked(),
            batch_webhook_notifications=self.batch.isChecked(),
        )

    def fill(self, **fields: Any) -> None:
        """Sets fields by name (tests and the screenshot script use it)."""
        if "name" in fields:
            self.name.setText(fields["name"])
        if "max_peers" in fields:
            self.max_peers.setText(str(fields["max_peers"]))
        if "webhook_url" in fields:
            self.webhook_url.setText(fields["webhook_url"])
        if "room_type" in fields:
            self.room_type.setCurrentIndex(self.room_type.findData(fields["room_type"]))
        if "video_codec" in fields:
            self.video_codec.setCurrentIndex(self.video_codec.findData(fields["video_codec"]))
