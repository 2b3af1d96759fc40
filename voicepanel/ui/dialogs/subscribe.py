"""Subscribe a manual peer to another peer, or to chosen tracks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QListWidget, QListWidgetItem, QRadioButton, QWidget

from voicepanel.session.names import titled
from voicepanel.ui.dialogs.form_dialog import FormDialog, Submit


@dataclass(frozen=True)
class SubscribeRequest:
    target_peer_id: str | None  # a whole peer, or
    track_ids: tuple[str, ...]  # chosen tracks


class SubscribeDialog(FormDialog):
    """``others`` are the room's other peers (PeerView-like: id, type, tracks)."""

    def __init__(
        self,
        peer_id: str,
        others: list[Any],
        submit: Submit | None,
        parent: QWidget | None = None,
        *,
        name_of: Callable[[str], str | None] = lambda _id: None,
    ) -> None:
        super().__init__("Subscribe peer", "Subscribe", submit, parent)
        self.setObjectName("subscribeDialog")
        self.whole_peer = QRadioButton("Everything a peer publishes")
        self.whole_peer.setChecked(True)
        self.some_tracks = QRadioButton("Only the tracks chosen below")
        self.peer_box = QComboBox()
        self.peer_box.setObjectName("targetPeer")
        for other in others:
            self.peer_box.addItem(f"{titled(name_of(other.id), other.id)} ({other.type})", other.id)
        self.tracks = QListWidget()
        self.tracks.setObjectName("targetTracks")
        for other in others:
            for track in other.tracks.values():
                owner = name_of(other.id) or other.id
                item = QListWidgetItem(f"{track.type} · {track.id} (peer {owner})")
                item.setData(Qt.ItemDataRole.UserRole, track.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.tracks.addItem(item)
        self.tracks.setMaximumHeight(140)
        self.add_row("Peer", _label(titled(name_of(peer_id), peer_id)))
        self.add_row("", self.whole_peer)
        self.add_row("Source peer", self.peer_box, "peer")
        self.add_row("", self.some_tracks)
        self.add_row("Tracks", self.tracks, "tracks")
        self.whole_peer.toggled.connect(self._mode_changed)
        self.tracks.itemChanged.connect(self.revalidate)
        self._mode_changed()
        self.setMinimumWidth(480)

    def _mode_changed(self) -> None:
        self.peer_box.setEnabled(self.whole_peer.isChecked())
        self.tracks.setEnabled(not self.whole_peer.isChecked())
        self.revalidate()

    def _checked_tracks(self) -> tuple[str, ...]:
        items = (self.tracks.item(i) for i in range(self.tracks.count()))
        return tuple(
            i.data(Qt.ItemDataRole.UserRole)
            for i in items
            if i.checkState() == Qt.CheckState.Checked
        )

    def errors(self) -> dict[str, str]:
        if self.whole_peer.isChecked():
            return {} if self.peer_box.count() else {"peer": "No other peer in this room yet."}
        return {} if self._checked_tracks() else {"tracks": "Tick at least one track."}

    def value(self) -> SubscribeRequest:
        if self.whole_peer.isChecked():
            return SubscribeRequest(self.peer_box.currentData(), ())
        return SubscribeRequest(None, self._checked_tracks())


def _label(text: str) -> QWidget:
    from PySide6.QtWidgets import QLabel

    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
