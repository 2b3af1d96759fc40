"""The "Agent in room X" window: join a room as a local agent, pick devices, watch levels,
steer the microphone, choose how echo is kept out of the room, play a WAV as the
microphone, record, and read the latency per turn.

All state lives in session.LocalAgent, which the window is handed (built by whoever opens
it); the audio runs on the agent's own thread, so this window stalling is never a gap in
the sound. The window only shows the agent (through AgentBridge, ~30 Hz) and forwards
what the person does; opening a device or re-reading the list runs off the window's
thread with a busy indicator. Failures appear in the window's banner as a message and a
hint, never as a traceback or a blocking dialog. Closing the window during a join cancels
the join; closing the profile closes its agent windows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicepanel.core.audio.audio_file import READABLE
from voicepanel.core.audio.device_io import DeviceReopened
from voicepanel.core.audio.devices import DeviceInventory, DeviceKind
from voicepanel.core.audio.echo import EchoMode
from voicepanel.core.audio.latency import summarize
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.wording import plural
from voicepanel.session.local_agent import (
    AgentLevels,
    AgentState,
    AgentStatus,
    DeviceStatus,
    LocalAgent,
)
from voicepanel.ui.agent_bridge import AgentBridge
from voicepanel.ui.agent_echo_box import EchoBox
from voicepanel.ui.agent_latency_chart import LatencyChart
from voicepanel.ui.agent_peer_strip import PeerStripWidget
from voicepanel.ui.async_qt import run_dialog
from voicepanel.ui.busy import BusyIndicator
from voicepanel.ui.error_banner import ErrorBanner, log_failure
from voicepanel.ui.meter_bar import MeterBar
from voicepanel.ui.placement import fit_on_screen
from voicepanel.ui.settings import open_settings
from voicepanel.ui.state_style import Tone

log = logging.getLogger(__name__)

NO_DEVICE = ""
INPUT_KEY = "agent/inputDevice"
OUTPUT_KEY = "agent/outputDevice"
FOLDER_KEY = "agent/recordFolder"
WAV_KEY = "agent/wavFolder"

_open_panels: dict[tuple[int, str], AgentPanel] = {}

OPEN_WIDTH = 760  # at the layout's own 580 px, the sliders and the latency table squeeze
MIN_LATENCY_ROWS = 3


def open_agent_panel(
    parent_window: QWidget,
    workspace: object,
    room_id: str,
    build: Callable[[], LocalAgent],
    *,
    name_of: Callable[[str], str | None] | None = None,
) -> AgentPanel:
    """Shows the agent window for ``room_id`` in ``workspace`` (one per room), or opens
    one for the agent ``build`` makes, and starts joining. ``name_of`` gives the names
    people gave the other peers."""
    key = (id(workspace), room_id)
    panel = _open_panels.get(key)
    if panel is not None:
        panel.show()
        panel.raise_()
        panel.activateWindow()
        return panel
    panel = AgentPanel(build(), parent_window, name_of=name_of)
    _open_panels[key] = panel
    panel.destroyed.connect(lambda: _open_panels.pop(key, None))
    panel.show()
    panel.start()
    return panel


def panel_for_room(workspace: object, room_id: str) -> AgentPanel | None:
    """The agent window open for ``room_id`` in ``workspace``, if any (presenter mode
    shows its agent's state, levels and turns)."""
    return _open_panels.get((id(workspace), room_id))


class AgentPanel(QWidget):
    def __init__(
        self,
        agent: LocalAgent,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
        *,
        name_of: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.agent = agent
        self._name_of = name_of or (lambda _peer_id: None)
        self._settings = settings if settings is not None else open_settings()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._strips: dict[str, PeerStripWidget] = {}
        self._filling_devices = False
        self._closing = False
        self.setWindowTitle(f"Agent in room {agent.room_id}")
        self.setObjectName("agentPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.banner = ErrorBanner(self)
        self.banner.shown.connect(lambda: QTimer.singleShot(0, self, self._make_room_for_banner))
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self._build_header())
        layout.addWidget(self._build_devices())
        layout.addWidget(self._build_local())
        self.echo_box = EchoBox(agent, self._settings)
        self.echo_box.problem.connect(self._show_echo_problem)
        layout.addWidget(self.echo_box)
        layout.addWidget(self._build_peers())
        layout.addWidget(self._build_latency())

        # Wide enough that nothing is squeezed, narrow enough for a 1280x720 screen.
        self.resize(max(OPEN_WIDTH, self.sizeHint().width()), self.sizeHint().height())

        self.bridge = AgentBridge(agent, self)
        self.bridge.levels.connect(self._show_levels)
        self.bridge.status.connect(self._show_status)
        self.bridge.turns.connect(self._show_turns)
        self.bridge.errors.connect(self._show_errors)
        self.bridge.devices.connect(self._show_devices)
        self._show_status(agent.status)

    # -- building ------------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.state_label = QLabel()
        self.state_label.setObjectName("agentState")
        self.state_label.setWordWrap(True)
        self.leave_button = QPushButton("Leave")
        self.leave_button.clicked.connect(self._leave_or_rejoin)
        self.interrupt_button = QPushButton("Interrupt")
        self.interrupt_button.setToolTip("Drop what this agent sent that the room has not played")
        self.interrupt_button.clicked.connect(lambda: self._run(self.agent.interrupt()))
        row.addWidget(self.state_label, 1)
        row.addWidget(self.interrupt_button)
        row.addWidget(self.leave_button)
        return row

    def _build_devices(self) -> QGroupBox:
        box = QGroupBox("Devices")
        form = QFormLayout(box)
        self.input_combo = QComboBox()
        self.output_combo = QComboBox()
        self.refresh_button = QPushButton("Refresh devices")
        self.refresh_button.clicked.connect(lambda: self._run(self._refresh_devices()))
        self.device_busy = BusyIndicator()
        self.device_busy.setToolTip("Opening the device…")
        self.device_note = QLabel()
        self.device_note.setObjectName("deviceNote")
        self.device_note.setWordWrap(True)
        self.device_note.hide()
        self.input_combo.currentIndexChanged.connect(
            lambda _i: self._device_chosen(DeviceKind.INPUT)
        )
        self.output_combo.currentIndexChanged.connect(
            lambda _i: self._device_chosen(DeviceKind.OUTPUT)
        )
        form.addRow("Microphone", self.input_combo)
        form.addRow("Speaker", self.output_combo)
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addWidget(self.device_busy)
        row.addStretch(1)
        form.addRow("", row)
        form.addRow("", self.device_note)
        return box

    def _build_local(self) -> QGroupBox:
        box = QGroupBox("You")
        grid = QVBoxLayout(box)
        row = QHBoxLayout()
        self.input_meter = MeterBar()
        self.mute_box = QCheckBox("Mute")
        self.mute_box.toggled.connect(self.agent.set_muted)
        self.ptt_box = QCheckBox("Push to talk (hold Space)")
        self.ptt_box.toggled.connect(self._push_to_talk_toggled)
        self.talk_label = QLabel()
        row.addWidget(QLabel("Input"))
        row.addWidget(self.input_meter, 1)
        row.addWidget(self.talk_label)
        grid.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.mute_box)
        row.addWidget(self.ptt_box)
        row.addStretch(1)
        row.addWidget(QLabel("Input gain"))
        self.gain_slider = _percent_slider(self.agent.set_input_gain)
        row.addWidget(self.gain_slider)
        row.addWidget(QLabel("Volume"))
        self.volume_slider = _percent_slider(self.agent.set_master_volume)
        row.addWidget(self.volume_slider)
        grid.addLayout(row)
        row = QHBoxLayout()
        self.file_button = QPushButton("Play a file as microphone…")
        self.file_button.clicked.connect(lambda: self._run(self._choose_file()))
        self.loop_box = QCheckBox("Loop")
        self.stop_file_button = QPushButton("Stop file")
        self.stop_file_button.clicked.connect(lambda: self.agent.stop_file())
        self.record_button = QPushButton("Record…")
        self.record_button.setCheckable(True)
        self.record_button.clicked.connect(self._record_clicked)
        row.addWidget(self.file_button)
        row.addWidget(self.loop_box)
        row.addWidget(self.stop_file_button)
        row.addStretch(1)
        row.addWidget(self.record_button)
        grid.addLayout(row)
        return box

    def _build_peers(self) -> QGroupBox:
        box = QGroupBox("Room")
        self._peers_layout = QVBoxLayout(box)
        self.no_peers = QLabel("Nobody else is talking in this room yet.")
        self._peers_layout.addWidget(self.no_peers)
        return box

    def _build_latency(self) -> QGroupBox:
        box = QGroupBox("Voice-to-voice latency (end of your speech → first sound of the reply)")
        col = QVBoxLayout(box)
        self.latency_summary = QLabel("No turns yet: speak, or play a file, and wait for a reply.")
        self.latency_table = QTableWidget(0, 2)
        self.latency_table.setHorizontalHeaderLabels(["Turn", "Latency (ms)"])
        self.latency_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.latency_table.verticalHeader().setVisible(False)
        self.latency_table.setMaximumHeight(140)
        # Three turns always in view, whatever banner shows above (a banner grows the
        # window rather than squeeze the table to a row and a half).
        rows = self.latency_table.verticalHeader().defaultSectionSize()
        header = self.latency_table.horizontalHeader().sizeHint().height()
        frame = 2 * self.latency_table.frameWidth()
        self.latency_table.setMinimumHeight(MIN_LATENCY_ROWS * rows + header + frame)
        self.latency_chart = LatencyChart()
        col.addWidget(self.latency_summary)
        row = QHBoxLayout()
        row.addWidget(self.latency_table)  # its own width; the chart takes the rest
        row.addWidget(self.latency_chart, 1)
        col.addLayout(row)
        return box

    def _make_room_for_banner(self) -> None:
        """A banner takes height: the window grows to the height its content prefers (as
        far as the screen allows) rather than squeeze the meters and the latency table."""
        layout = self.layout()
        wanted = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if wanted > self.height():
            self.resize(self.width(), wanted)
            fit_on_screen(self)

    # -- joining and leaving -------------------------------------------------------------

    def start(self) -> None:
        self._run(self._join())

    async def _join(self) -> None:
        if not self.input_combo.count():
            self._fill_devices(await self.agent.load_devices())
        await self.agent.join()
        await self._open_saved_devices()

    async def _open_saved_devices(self) -> None:
        for kind in (DeviceKind.INPUT, DeviceKind.OUTPUT):
            if self._closing:  # never open a device behind a closed window
                return
            key = self._saved_key(kind)
            if key == NO_DEVICE and self._settings.contains(self._setting_name(kind)):
                continue
            opener = (
                self.agent.set_input_device
                if kind is DeviceKind.INPUT
                else self.agent.set_output_device
            )
            await opener(key or None)

    def _leave_or_rejoin(self) -> None:
        state = self.agent.state
        if state in (AgentState.LIVE, AgentState.JOINING):
            self._run(self.agent.leave())
        elif state is AgentState.DROPPED:
            self._run(self._rejoin())
        else:
            self._run(self._join())

    async def _rejoin(self) -> None:
        await self.agent.rejoin()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._closing:
            self._closing = True
            self._watch_keys(False)
            self.bridge.close()
            if self.agent.state not in (AgentState.IDLE, AgentState.LEFT):
                self._leave_after_close()
        super().closeEvent(event)

    def _leave_after_close(self) -> None:
        # Leaving outlives the window: the agent peer must be deleted either way.
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            log.warning("No event loop to leave room %s on", self.agent.room_id)
            return
        loop.create_task(_leave_quietly(self.agent))

    # -- devices -------------------------------------------------------------------------

    def _fill_devices(self, inventory: DeviceInventory) -> None:
        self.device_note.setText(inventory.note)
        self.device_note.setVisible(bool(inventory.note))
        self._filling_devices = True
        try:
            for combo, kind, pool in (
                (self.input_combo, DeviceKind.INPUT, inventory.inputs),
                (self.output_combo, DeviceKind.OUTPUT, inventory.outputs),
            ):
                combo.clear()
                combo.addItem("(none)", NO_DEVICE)
                for device in pool:
                    combo.addItem(device.label(kind), device.key)
                saved = self._saved_key(kind)
                if saved == NO_DEVICE and self._settings.contains(self._setting_name(kind)):
                    combo.setCurrentIndex(0)  # the user chose "(none)" last time
                    continue
                # Nothing remembered yet: show the system default the agent opens.
                chosen = inventory.find(kind, saved or None)
                if chosen is not None:
                    combo.setCurrentIndex(max(0, combo.findData(chosen.key)))
        finally:
            self._filling_devices = False

    def _device_chosen(self, kind: DeviceKind) -> None:
        if self._filling_devices:
            return
        combo = self.input_combo if kind is DeviceKind.INPUT else self.output_combo
        key = combo.currentData() or NO_DEVICE
        self._settings.setValue(self._setting_name(kind), key)
        if kind is DeviceKind.INPUT:
            self._run(self.agent.set_input_device(key) if key else self.agent.disable_input())
        else:
            self._run(self.agent.set_output_device(key) if key else self.agent.disable_output())

    async def _refresh_devices(self) -> None:
        self._fill_devices(await self.agent.load_devices(refresh=True))

    def _setting_name(self, kind: DeviceKind) -> str:
        return INPUT_KEY if kind is DeviceKind.INPUT else OUTPUT_KEY

    def _saved_key(self, kind: DeviceKind) -> str:
        value = self._settings.value(self._setting_name(kind), None)
        return str(value) if value is not None else ""

    # -- files and recording -------------------------------------------------------------

    async def _choose_file(self) -> None:
        start = str(self._settings.value(WAV_KEY, str(Path.home())))
        dialog = QFileDialog(self, "Play an audio file as the microphone", start)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        patterns = " ".join(f"*.{ending}" for ending in READABLE)
        dialog.setNameFilters([f"Audio files ({patterns})", "All files (*)"])
        code = await run_dialog(dialog)
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if code != QDialog.DialogCode.Accepted or not files:
            return
        path = Path(files[0])
        self._settings.setValue(WAV_KEY, str(path.parent))
        await self.agent.play_file(path, loop=self.loop_box.isChecked())
        self.banner.show_message(
            f"Playing {path.name} as the microphone.", tone=Tone.GOOD, timeout_ms=4000
        )

    def _record_clicked(self, checked: bool) -> None:
        if checked:
            self.record_button.setChecked(False)
            self._run(self._start_recording())
        else:
            self.record_button.setText("Record…")
            self._run(self._stop_recording())

    async def _stop_recording(self) -> None:
        paths = await self.agent.stop_recording()
        if paths:
            self.banner.show_message(
                f"Saved {plural(len(paths), 'recording')} in {paths[0].parent}.",
                tone=Tone.GOOD,
                timeout_ms=8000,
            )

    async def _start_recording(self) -> None:
        start = str(self._settings.value(FOLDER_KEY, str(Path.home())))
        dialog = QFileDialog(self, "Record the call into a folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        code = await run_dialog(dialog)
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if code != QDialog.DialogCode.Accepted or not files:
            return
        self._settings.setValue(FOLDER_KEY, files[0])
        await self.agent.start_recording(files[0])
        self.record_button.setChecked(True)
        self.record_button.setText("Stop recording")

    # -- push-to-talk --------------------------------------------------------------------

    def _push_to_talk_toggled(self, enabled: bool) -> None:
        self.agent.set_push_to_talk(enabled)
        self._watch_keys(enabled)

    def _watch_keys(self, on: bool) -> None:
        """The application-wide key filter only while push-to-talk is on: it sees every
        event of every window, which costs the window's thread in a burst."""
        app = QApplication.instance()
        if app is None:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not self.ptt_box.isChecked() or not isinstance(watched, QWidget):
            return False
        if not (watched is self or self.isAncestorOf(watched)):
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() != Qt.Key.Key_Space:
            return False
        if not event.isAutoRepeat():
            self.agent.set_talk_held(kind == QEvent.Type.KeyPress)
        return True  # Space talks here; it must not also press the focused button

    # -- showing state -------------------------------------------------------------------

    def _show_status(self, status: AgentStatus) -> None:
        if status.host_closed and not self._closing:
            # Its profile was switched or closed: the agent cannot rejoin from here.
            self.close()
            return
        texts = {
            AgentState.IDLE: "Not in the room.",
            AgentState.JOINING: "Joining…",
            AgentState.LIVE: "In the room as an agent.",
            AgentState.DROPPED: "Disconnected.",
            AgentState.LEFT: "Left the room.",
        }
        text = texts[status.state]
        if status.reason:
            text += f" {status.reason}"
        self.state_label.setText(text)
        # The agent's own peer id, a hover away: the sentence stays a sentence.
        live_as = status.peer_id if status.state is AgentState.LIVE else None
        self.state_label.setToolTip(f"The agent's peer id: {live_as}" if live_as else "")
        live = status.state in (AgentState.LIVE, AgentState.JOINING)
        self.leave_button.setText("Leave" if live else "Rejoin")
        self.interrupt_button.setEnabled(status.state is AgentState.LIVE)

    def _show_levels(self, levels: AgentLevels) -> None:
        self.input_meter.set_level(levels.input.rms_dbfs, levels.input.peak_dbfs)
        if levels.echo is not None:
            self.echo_box.show_status(levels.echo)
        self.talk_label.setText("● sending" if levels.transmitting else "○ not sending")
        present = {strip.peer_id for strip in levels.peers}
        for gone in [p for p in self._strips if p not in present]:
            self._strips.pop(gone).deleteLater()
        self.no_peers.setVisible(not present)
        for strip in levels.peers:
            widget = self._strips.get(strip.peer_id)
            if widget is None:
                widget = PeerStripWidget(strip.peer_id)
                widget.gain_changed.connect(self.agent.set_peer_gain)
                widget.mute_changed.connect(self.agent.set_peer_muted)
                self._strips[strip.peer_id] = widget
                self._peers_layout.addWidget(widget)
            widget.set_title(strip.kind, self._name_of(strip.peer_id))
            widget.show_strip(strip)

    def _show_turns(self, turns: list[Any]) -> None:
        table = self.latency_table
        table.setRowCount(len(turns))
        for row, turn in enumerate(turns):
            table.setItem(row, 0, QTableWidgetItem(str(turn.index)))
            table.setItem(row, 1, QTableWidgetItem(f"{turn.latency_s * 1000:.0f}"))
        table.scrollToBottom()
        ms = [t.latency_s * 1000 for t in turns]
        self.latency_chart.set_latencies(ms)
        s = summarize([t.latency_s for t in turns])
        if s.count and s.min_s is not None and s.median_s is not None and s.p90_s is not None:
            self.latency_summary.setText(
                f"{plural(s.count, 'turn')} · min {s.min_s * 1000:.0f} ms · median "
                f"{s.median_s * 1000:.0f} ms · p90 {s.p90_s * 1000:.0f} ms"
            )

    def _show_errors(self, errors: list[VoicePanelError]) -> None:
        for error in errors:
            log_failure(error)
        last = errors[-1]
        if isinstance(last, DeviceReopened):
            # The sound is back: said, not in the way.
            self.banner.show_message(last.message, last.hint, tone=Tone.WARN, timeout_ms=15000)
        else:
            self.banner.show_error(last)

    def _show_echo_problem(self, problem: VoicePanelError) -> None:
        # Once, and not in the way: the call goes on (in half-duplex, if cancelling was
        # what the person asked for).
        log_failure(problem)
        hint = problem.hint
        if self.agent.echo.requested is EchoMode.CANCEL:
            hint += " Half-duplex is on instead."
        self.banner.show_message(problem.message, hint, tone=Tone.WARN, timeout_ms=15000)

    def _show_devices(self, devices: DeviceStatus) -> None:
        self.device_busy.setVisible(devices.busy)
        for control in (self.input_combo, self.output_combo, self.refresh_button):
            control.setEnabled(not devices.busy)
        missing = []
        if devices.input_device is None:
            missing.append("no microphone")
        if devices.output_device is None:
            missing.append("no speaker")
        self.refresh_button.setToolTip(", ".join(missing) or "Both devices open")

    # -- running coroutines --------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as error:  # shown in words; the log keeps the cause
            log_failure(error)
            if not self._closing:
                self.banner.show_error(error)


def _percent_slider(apply: Any) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 200)
    slider.setValue(100)
    slider.setMaximumWidth(110)
    slider.setToolTip("100 % = unchanged")
    slider.valueChanged.connect(lambda v: apply(v / 100.0))
    return slider


async def _leave_quietly(agent: LocalAgent) -> None:
    try:
        await agent.leave()
    except Exception:
        log.exception("Leaving the room failed")
