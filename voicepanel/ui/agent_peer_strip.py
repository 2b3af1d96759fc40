"""One remote peer in the agent panel: who it is, its level, volume, mute and jitter."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSlider, QWidget

from voicepanel.session.local_agent import PeerStrip
from voicepanel.ui.meter_bar import MeterBar


class PeerStripWidget(QWidget):
    gain_changed = Signal(str, float)  # peer id, linear gain
    mute_changed = Signal(str, bool)

    def __init__(self, peer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peer_id = peer_id
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0, 2)
        self.name = QLabel()
        self.name.setToolTip(f"Peer id {peer_id}")
        self.meter = MeterBar()
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 200)
        self.volume.setValue(100)
        self.volume.setToolTip("Volume (100 % = as sent)")
        self.volume.setMaximumWidth(110)
        self.mute = QCheckBox("Mute")
        self.jitter = QLabel()
        self.jitter.setObjectName("jitterStats")
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.meter, 0, 1)
        grid.addWidget(self.volume, 0, 2)
        grid.addWidget(self.mute, 0, 3)
        grid.addWidget(self.jitter, 1, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        self.volume.valueChanged.connect(lambda v: self.gain_changed.emit(peer_id, v / 100.0))
        self.mute.toggled.connect(lambda m: self.mute_changed.emit(peer_id, m))

    def set_title(self, kind: str, name: str | None) -> None:
        """The name people gave the peer (its id's start when it has none), and its kind."""
        text = f"<b>{html.escape(name or self.peer_id[:12])}</b> {kind}"
        if self.name.text() != text:
            self.name.setText(text)

    def show_strip(self, strip: PeerStrip) -> None:
        self.meter.set_level(strip.level.rms_dbfs, strip.level.peak_dbfs)
        self.jitter.setText(
            f"buffer {strip.depth_ms:.0f}/{strip.target_ms:.0f} ms · "
            f"underruns {strip.underruns} · overruns {strip.overruns}"
        )
