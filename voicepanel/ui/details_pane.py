"""The details of the selected room, peer or track: ids to copy, config, metadata, tracks."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicepanel.core.wording import plural
from voicepanel.ui.flow_layout import FlowLayout
from voicepanel.ui.labels import CopyableId, ElidedLabel
from voicepanel.ui.state_style import Tone, peer_tone, room_tone, tint


def pretty_json(value: Any) -> str:
    if value in (None, {}, []):
        return "(none)"
    return json.dumps(value, indent=2, sort_keys=True, default=str)


class DetailsPane(QScrollArea):
    """Rebuilt when the selection changes, or when what it shows changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._actions: dict[str, list[QAction]] = {}
        self._kind = ""
        self._signature = ""
        self._shown = ""  # kind and id of what is shown
        self._show_placeholder()

    def set_actions(self, actions: dict[str, list[QAction]]) -> None:
        """The actions offered as buttons above a room's or a peer's details."""
        self._actions = actions
        self._signature = ""

    @property
    def kind(self) -> str:
        return self._kind

    def show_item(self, kind: str, item: Any, context: dict[str, Any] | None = None) -> None:
        """Shows a RoomView ("room"), PeerView ("peer") or TrackView ("track"), or nothing."""
        # The values' reprs say whether anything shown changed since the last rebuild.
        signature = f"{kind}|{item!r}|{context!r}"
        if signature == self._signature:
            return
        self._signature = signature
        self._kind = kind if item is not None else ""
        if item is None:
            self._shown = ""
            self._show_placeholder()
            return
        # The same room or peer, changed (a peer joined, a name was given): keep the place
        # the person scrolled to rather than jumping back to the top.
        shown = f"{kind}|{getattr(item, 'id', '')}"
        keep = self.verticalScrollBar().value() if shown == self._shown else 0
        self._shown = shown
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        title = QLabel(f"<h3 style='margin:0'>{kind.capitalize()}</h3>")
        layout.addWidget(title)
        buttons = self._action_row(kind)
        if buttons is not None:
            layout.addWidget(buttons)
        form = QFormLayout()
        # Left-aligned, so a label above its wrapped id starts where the others do.
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # A narrow pane puts an id under its label rather than cutting it.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.addLayout(form)
        context = context or {}
        if kind in ("room", "peer"):
            form.addRow("Name", _name_label(context.get("name", "")))
        if kind == "room":
            self._room(form, item, bool(context.get("stale")), context.get("webhook"))
        elif kind == "peer":
            self._peer(form, layout, item, context)
        else:
            self._track(form, layout, item, context)
        layout.addStretch(1)
        self.setWidget(body)
        self.updateGeometry()  # the splitter reads the new minimum width
        if keep:
            body.adjustSize()
            self.verticalScrollBar().setValue(keep)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Never narrower than what it shows can shrink to: buttons stay whole (they wrap
        onto more rows instead), ids shorten with an ellipsis but keep their Copy button."""
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is not None:
            chrome = self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
            hint.setWidth(max(hint.width(), body.minimumSizeHint().width() + chrome))
        return hint

    # -- one builder per kind -------------------------------------------------------------

    def _room(self, form: QFormLayout, room: Any, stale: bool, webhook: Any) -> None:
        config = room.config
        form.addRow("Room id", _id(room.id, "roomId"))
        form.addRow("Type", QLabel(config.room_type.replace("_", " ")))
        form.addRow("Peer limit", QLabel(str(config.max_peers or "no limit")))
        form.addRow("Video codec", QLabel(config.video_codec or "default"))
        form.addRow("Webhook URL", _one_line(config.webhook_url or "none"))
        if config.webhook_url:
            form.addRow("", _webhook_label(webhook))
        form.addRow("Public", QLabel("yes" if config.public else "no"))
        form.addRow(
            "Batched webhooks", QLabel("yes" if config.batch_webhook_notifications else "no")
        )
        peers = list(room.peers.values())
        crashed = bool(getattr(room, "crashed", False))
        state = "crashed" if crashed else "running"
        if stale:
            label = _state_label(f"unknown (last known: {state})", Tone.IDLE)
            label.setToolTip("Notifications are not live, so the server's word is missing.")
            form.addRow("State", label)
        else:
            form.addRow("State", _state_label(state, room_tone(crashed)))
        form.addRow("Peers", QLabel(_peer_summary(peers)))

    def _peer(
        self, form: QFormLayout, layout: QVBoxLayout, peer: Any, context: dict[str, Any]
    ) -> None:
        state = getattr(peer.state, "name", str(peer.state)).upper()
        form.addRow("Peer id", _id(peer.id, "peerId"))
        form.addRow("Room id", _id(peer.room_id, "peerRoomId"))
        form.addRow("Peer type", QLabel(peer.type))
        if context.get("stale"):
            form.addRow("State", _state_label(f"unknown (last known: {state.lower()})", Tone.IDLE))
        else:
            form.addRow("State", _state_label(state.lower(), peer_tone(state)))
        if state == "CRASHED":
            form.addRow("Why", _selectable(peer.crash_reason or "no reason given"))
        form.addRow("Subscribe mode", QLabel(peer.subscribe_mode))
        call = context.get("call_id")
        if call:
            form.addRow("VAPI call id", _id(call, "peerCallId"))
        layout.addWidget(_heading("Metadata"))
        layout.addWidget(_json_box(peer.metadata))
        layout.addWidget(_heading(f"Tracks ({len(peer.tracks)})"))
        if not peer.tracks:
            layout.addWidget(_muted("No tracks yet. Tracks appear when the peer publishes."))
        for track in peer.tracks.values():
            layout.addWidget(_one_line(f"{track.type} · {track.id}"))
            layout.addWidget(_json_box(track.metadata, max_lines=6))

    def _track(
        self, form: QFormLayout, layout: QVBoxLayout, track: Any, context: dict[str, Any]
    ) -> None:
        form.addRow("Track id", _id(track.id, "trackId"))
        form.addRow("Peer id", _id(context.get("peer_id", ""), "trackPeerId"))
        form.addRow("Room id", _id(context.get("room_id", ""), "trackRoomId"))
        form.addRow("Type", QLabel(track.type))
        layout.addWidget(_heading("Metadata"))
        layout.addWidget(_json_box(track.metadata))

    def _action_row(self, kind: str) -> QWidget | None:
        actions = self._actions.get(kind)
        if not actions:
            return None
        row = QWidget()
        row.setObjectName("detailsActions")
        flow = FlowLayout(row)
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            flow.addWidget(button)
        return row

    def _show_placeholder(self) -> None:
        label = QLabel(
            "Select a room, peer or track to see its details.\n\n"
            "Create a room with Ctrl+N, or right-click a room for more."
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setEnabled(False)
        self.setWidget(label)


def _id(text: str, name: str) -> CopyableId:
    return CopyableId(text, name, shrink=False)


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setEnabled(False)
    return label


def _selectable(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _webhook_label(reach: Any) -> QLabel:
    """Whether the webhook URL answers: a tester sees at once that notifications to it are
    lost, not only in the log."""
    if reach is None:
        label = _state_label("checking whether it answers…", Tone.IDLE)
    elif reach.reachable:
        label = _state_label(f"reachable: {reach.detail}", Tone.GOOD)
    else:
        label = _state_label(
            f"not reachable: {reach.detail}. Fishjam's notifications to it are lost.",
            Tone.BAD,
        )
    label.setObjectName("webhookReach")
    label.setWordWrap(True)
    return label


def _name_label(name: str) -> QLabel:
    label = ElidedLabel(name or "not named yet: F2 names it", shrink=False)
    label.setObjectName("detailsName")
    if name:
        label.setStyleSheet("font-weight: bold")
    else:
        label.setEnabled(False)
    return label


def _one_line(text: str) -> ElidedLabel:
    label = ElidedLabel(text, shrink=False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _state_label(text: str, tone: Tone) -> QLabel:
    label = QLabel(f"● {text}")
    tint(label, tone)
    return label


def _json_box(value: Any, max_lines: int = 12) -> QPlainTextEdit:
    box = QPlainTextEdit(pretty_json(value))
    box.setReadOnly(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    lines = min(max_lines, box.document().blockCount())
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def _peer_summary(peers: list[Any]) -> str:
    if not peers:
        return "none yet"
    by_type: dict[str, int] = {}
    for peer in peers:
        by_type[peer.type] = by_type.get(peer.type, 0) + 1
    return ", ".join(plural(n, t) for t, n in sorted(by_type.items()))
