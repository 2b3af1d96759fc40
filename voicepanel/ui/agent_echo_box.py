"""The agent window's "Echo" box: the echo mode (cancel, half-duplex, off) and its advanced
stages, remembered between runs; a status line with how much echo is removed; "Mic held
back" while half-duplex holds the microphone; and the warning, with a way out, when the
room can hear its own voice.

The box only shows EchoStatus values (from the agent's ~30 Hz levels) and forwards
choices to the LocalAgent; it never touches audio.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicepanel.core.audio.echo import EchoMode, EchoStatus, describe
from voicepanel.session.local_agent import LocalAgent

MODE_KEY = "agent/echoMode"
STAGE_KEYS = {
    "ns": "agent/echoNoiseSuppression",
    "hpf": "agent/echoHighPassFilter",
    "agc": "agent/echoAutoGain",
}
MODES = (
    (EchoMode.CANCEL, "Cancel", "Remove the speakers' sound from the microphone (talk over it)"),
    (EchoMode.HALF_DUPLEX, "Half-duplex", "Hold the microphone back while the room talks"),
    (EchoMode.OFF, "Off", "Send the microphone as it is (fine with a headset)"),
)
LEAK_TEXT = "The room can hear its own voice."
HEADSET_TEXT = "Your output looks like built-in speakers: a headset stops the echo."


class EchoBox(QGroupBox):
    problem = Signal(object)
    """EchoCancellationUnavailable, once per box: the panel shows it in its banner."""

    def __init__(
        self, agent: LocalAgent, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__("Echo", parent)
        self.agent = agent
        self._settings = settings
        self._problem_told = False
        col = QVBoxLayout(self)

        row = QHBoxLayout()
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("echoMode")
        for mode, label, tip in MODES:
            self.mode_combo.addItem(label, mode.value)
            self.mode_combo.setItemData(
                self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.status_label = QLabel("Echo cancellation on")
        self.status_label.setObjectName("echoStatus")
        self.held_label = QLabel("● Mic held back")
        self.held_label.setObjectName("echoHeldBack")
        self.held_label.setToolTip("Someone in the room is talking: your microphone is turned down")
        self.held_label.setStyleSheet("font-weight: bold")
        self.held_label.hide()
        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        row.addWidget(QLabel("Mode"))
        row.addWidget(self.mode_combo)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.held_label)
        row.addWidget(self.advanced_button)
        col.addLayout(row)

        self.advanced = QWidget()
        stages = QHBoxLayout(self.advanced)
        stages.setContentsMargins(0, 0, 0, 0)
        self.ns_box = QCheckBox("Noise suppression")
        self.hpf_box = QCheckBox("High-pass filter")
        self.agc_box = QCheckBox("Auto gain")
        self.agc_box.setToolTip("Off keeps the input gain slider meaning what it says")
        self._stage_boxes = {"ns": self.ns_box, "hpf": self.hpf_box, "agc": self.agc_box}
        for box in self._stage_boxes.values():
            stages.addWidget(box)
        stages.addStretch(1)
        self.advanced.hide()
        col.addWidget(self.advanced)

        self.leak = QWidget()
        self.leak.setObjectName("echoLeak")
        leak_col = QVBoxLayout(self.leak)
        leak_col.setContentsMargins(0, 0, 0, 0)
        leak_row = QHBoxLayout()
        self.leak_label = QLabel(f"<b>⚠ {LEAK_TEXT}</b>")
        self.leak_label.setWordWrap(True)
        self.half_duplex_button = QPushButton("Switch to half-duplex")
        self.half_duplex_button.clicked.connect(self.switch_to_half_duplex)
        leak_row.addWidget(self.leak_label, 1)
        leak_row.addWidget(self.half_duplex_button)
        leak_col.addLayout(leak_row)
        self.headset_label = QLabel(HEADSET_TEXT)
        self.headset_label.setWordWrap(True)
        leak_col.addWidget(self.headset_label)
        self.leak.hide()
        col.addWidget(self.leak)

        self._restore()
        self.mode_combo.currentIndexChanged.connect(self._mode_chosen)
        self.advanced_button.toggled.connect(self.advanced.setVisible)
        for key, box in self._stage_boxes.items():
            box.toggled.connect(lambda on, key=key: self._stage_chosen(key, on))

    # -- choices -------------------------------------------------------------------------

    @property
    def mode(self) -> EchoMode:
        return EchoMode(self.mode_combo.currentData())

    def set_mode(self, mode: EchoMode) -> None:
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode.value))

    def switch_to_half_duplex(self) -> None:
        self.set_mode(EchoMode.HALF_DUPLEX)

    def _restore(self) -> None:
        """The choices remembered from last time, applied to the agent."""
        saved = str(self._settings.value(MODE_KEY, EchoMode.CANCEL.value))
        try:
            mode = EchoMode(saved)
        except ValueError:
            mode = EchoMode.CANCEL
        self.set_mode(mode)
        self.agent.set_echo_mode(mode)
        defaults = self.agent.echo.canceller.stages
        stages = {}
        for key, box in self._stage_boxes.items():
            on = _as_bool(self._settings.value(STAGE_KEYS[key], getattr(defaults, key)))
            box.setChecked(on)
            stages[key] = on
        self.agent.set_echo_stages(**stages)

    def _mode_chosen(self, _index: int) -> None:
        mode = self.mode
        self._settings.setValue(MODE_KEY, mode.value)
        self.agent.set_echo_mode(mode)

    def _stage_chosen(self, key: str, on: bool) -> None:
        self._settings.setValue(STAGE_KEYS[key], on)
        self.agent.set_echo_stages(**{key: on})

    # -- showing -------------------------------------------------------------------------

    def show_status(self, status: EchoStatus) -> None:
        self.status_label.setText(describe(status))
        self.held_label.setVisible(status.held_back)
        # The stages only matter while cancellation runs.
        self.advanced_button.setEnabled(status.mode is EchoMode.CANCEL)
        leaking = status.echo_leaking
        self.leak.setVisible(leaking)
        self.half_duplex_button.setVisible(leaking and status.mode is not EchoMode.HALF_DUPLEX)
        self.headset_label.setVisible(leaking and status.suggest_headset)
        if status.problem is not None and not self._problem_told:
            self._problem_told = True
            self.problem.emit(status.problem)


def _as_bool(value: object) -> bool:
    # QSettings' INI backend gives back "true"/"false" strings.
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)
