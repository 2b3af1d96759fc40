"""The Scenario dock: open a scenario file, run it in the open workspace while the room,
the call card's live transcript and this dock's turn results fill in, re-run the last one
(Ctrl+R), and save the conversation just had as a scenario.

The run is ``voicepanel.scenarios``' runner on the window's loop (its local agent's audio
runs on the audio thread, as every agent's does); this module only shows what it reports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.wording import plural
from voicepanel.scenarios.capture import capture_scenario
from voicepanel.scenarios.loader import display_path, load_scenario
from voicepanel.scenarios.model import Scenario
from voicepanel.scenarios.report import write_report
from voicepanel.scenarios.results import Outcome, RunResult, TurnResult
from voicepanel.scenarios.runner import ScenarioRunner
from voicepanel.session.paths import data_dir
from voicepanel.ui.async_qt import run_dialog
from voicepanel.ui.empty_state import EmptyHint
from voicepanel.ui.file_dialogs import ask_save_path
from voicepanel.ui.settings import open_settings

if TYPE_CHECKING:
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.feedback import Feedback

log = logging.getLogger(__name__)

LAST_KEY = "scenario/last"
FOLDER_KEY = "scenario/folder"
RECORD_FOLDER_KEY = "agent/recordFolder"  # where the agent window records (agent_panel)
COLUMNS = ("Turn", "Result", "Expected", "Measured")
PASSED, FAILED = "passed", "FAILED"


class ScenarioDock(QDockWidget):
    finished = Signal(object)  # the RunResult, once a run is over (tests and screenshots wait)

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        feedback: Feedback,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Scenario", parent)
        self.setObjectName("scenarioDock")
        self._workspace = workspace
        self._feedback = feedback
        self._settings = open_settings()
        self._task: asyncio.Task[Any] | None = None
        self.scenario: Scenario | None = None
        self.last_result: RunResult | None = None

        self.act_open = QAction("Open scenario…", self)
        self.act_open.setShortcut(QKeySequence("Ctrl+O"))
        self.act_open.triggered.connect(lambda: self._start_run(self.choose_and_run()))
        self.act_rerun = QAction("Run last scenario again", self)
        self.act_rerun.setShortcut(QKeySequence("Ctrl+R"))
        self.act_rerun.setToolTip("Run the last scenario again (Ctrl+R)")
        self.act_rerun.triggered.connect(lambda: self._start_run(self.rerun()))
        self.act_save = QAction("Save conversation as scenario…", self)
        self.act_save.triggered.connect(lambda: self._spawn(self.save_conversation()))

        self.title = QLabel("No scenario yet: open one, or save a conversation as one.")
        self.title.setObjectName("scenarioTitle")
        self.title.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("scenarioStatus")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("scenarioTurns")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        EmptyHint(self.table, "Each turn is scored here as the scenario runs.")
        header = self.table.horizontalHeader()
        # The turn's words and the expectation share what is left and wrap (a narrow dock
        # would otherwise stack the turn's words one per line); the verdict and the
        # measure read whole.
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.open_button = QPushButton("Open…")
        self.open_button.clicked.connect(self.act_open.trigger)
        self.run_button = QPushButton("Run again")
        self.run_button.setToolTip(self.act_rerun.toolTip())
        self.run_button.clicked.connect(self.act_rerun.trigger)
        self.save_button = QPushButton("Save conversation…")
        self.save_button.setToolTip("Save the conversation you just had as a scenario")
        self.save_button.clicked.connect(self.act_save.trigger)
        self.report_button = QPushButton("Open report")
        self.report_button.clicked.connect(self._open_report)
        self.report_button.setEnabled(False)
        self._report: Path | None = None

        buttons = QHBoxLayout()
        for button in (self.open_button, self.run_button, self.save_button, self.report_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self.title)
        column.addLayout(buttons)
        column.addWidget(self.status)
        column.addWidget(self.table, 1)
        self.setWidget(body)
        self.update_actions()

    # -- state ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def update_actions(self) -> None:
        connected = self._workspace() is not None
        last = str(self._settings.value(LAST_KEY, "") or "")
        can_run = connected and not self.running
        self.act_open.setEnabled(can_run)
        self.act_rerun.setEnabled(can_run and bool(last))
        self.act_save.setEnabled(connected and not self.running)
        for button, action in (
            (self.open_button, self.act_open),
            (self.run_button, self.act_rerun),
            (self.save_button, self.act_save),
        ):
            button.setEnabled(action.isEnabled())

    def _start_run(self, coro: Any) -> None:
        if self.running:
            coro.close()
            return
        self._task = self._spawn(coro)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(self._done)
        self.update_actions()
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.update_actions()
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        log.error("A scenario action failed", exc_info=error)
        self._feedback.fail(
            error
            if isinstance(error, VoicePanelError)
            else VoicePanelError(
                "The scenario could not be run.", "See the log for details.", cause=error
            )
        )

    # -- running --------------------------------------------------------------------------

    async def choose_and_run(self) -> RunResult | None:
        start = str(self._settings.value(FOLDER_KEY, str(Path.home())))
        dialog = QFileDialog(self, "Open a scenario", start, "Scenarios (*.toml)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        code = await run_dialog(dialog)
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if code != QDialog.DialogCode.Accepted or not files:
            return None
        path = Path(files[0])
        self._settings.setValue(FOLDER_KEY, str(path.parent))
        return await self.run_file(path)

    async def rerun(self) -> RunResult | None:
        last = str(self._settings.value(LAST_KEY, "") or "")
        if not last:
            return None
        return await self.run_file(Path(last))

    async def run_file(self, path: Path) -> RunResult | None:
        """Loads and runs ``path`` in the open workspace; the turns fill in as they end."""
        workspace = self._workspace()
        if workspace is None:
            return None
        try:
            scenario = load_scenario(path)
        except VoicePanelError as exc:
            self._feedback.fail(exc)
            return None
        self._settings.setValue(LAST_KEY, str(path))
        self.scenario = scenario
        self.show()
        self.raise_()
        self.title.setText(f"<b>{_html(scenario.name)}</b> · {_html(display_path(path))}")
        self.status.setText("Running: the room and the call appear in the window as it goes…")
        self.table.setRowCount(0)
        self.report_button.setEnabled(False)
        folder = data_dir() / "scenario-runs" / time.strftime("%Y%m%d-%H%M%S")
        runner = ScenarioRunner(workspace, folder, on_turn=self._turn_done)
        self.update_actions()
        result = await runner.run(scenario)
        self.last_result = result
        self._show_result(result)
        try:
            self._report = await asyncio.to_thread(write_report, [result], folder)
            self.report_button.setEnabled(True)
        except OSError as exc:
            log.warning("Could not write the scenario report: %s", exc)
        self.finished.emit(result)
        return result

    def _turn_done(self, _run: RunResult, turn: TurnResult) -> None:
        self._add_turn(turn)

    def _add_turn(self, turn: TurnResult) -> None:
        checks = turn.checks or ()
        rows = max(1, len(checks))
        first = self.table.rowCount()
        self.table.setRowCount(first + rows)
        self.table.setItem(first, 0, QTableWidgetItem(turn.turn.title))
        verdict = QTableWidgetItem(PASSED if turn.passed else FAILED)
        verdict.setForeground(Qt.GlobalColor.darkGreen if turn.passed else Qt.GlobalColor.red)
        self.table.setItem(first, 1, verdict)
        if not checks:
            heard = f"reply after {turn.latency_ms:.0f} ms" if turn.latency_ms else turn.note
            self.table.setItem(first, 2, QTableWidgetItem("no expectations"))
            self.table.setItem(first, 3, QTableWidgetItem(heard or ""))
        for offset, check in enumerate(checks):
            expected = QTableWidgetItem(f"{check.name} {check.expected}")
            measured = QTableWidgetItem(check.measured)
            if not check.passed:
                measured.setForeground(Qt.GlobalColor.red)
            self.table.setItem(first + offset, 2, expected)
            self.table.setItem(first + offset, 3, measured)
        if rows > 1:
            self.table.setSpan(first, 0, rows, 1)
        self.table.resizeRowsToContents()

    def _show_result(self, result: RunResult) -> None:
        if result.outcome is Outcome.ERROR:
            self.status.setText(f"Could not run: {result.error}")
            return
        failed = len(result.failed_turns)
        verdict = (
            "Passed"
            if result.passed
            else f"Failed: {failed} of {plural(len(result.turns), 'turn')}"
        )
        ended = f" · the call ended: {result.ended_reason}" if result.ended_reason else ""
        self.status.setText(f"{verdict} in {result.duration_s:.1f} s{ended}")

    def _open_report(self) -> None:
        if self._report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._report)))

    # -- saving a conversation ------------------------------------------------------------

    async def save_conversation(self) -> Path | None:
        """The latest call of this workspace, as a scenario file the person names."""
        workspace = self._workspace()
        if workspace is None:
            return None
        records = sorted(workspace.calls.records, key=lambda r: r.started_at)
        if not records:
            self._feedback.tell(
                "There is no conversation to save yet.",
                "Add a VAPI assistant to a room and talk to it, then save.",
            )
            return None
        record = records[-1]
        conversation = workspace.calls.conversation(record.id)
        start = Path(str(self._settings.value(FOLDER_KEY, str(Path.home()))))
        chosen = await ask_save_path(
            self,
            "Save the conversation as a scenario",
            start / "conversation.toml",
            ["Scenarios (*.toml)"],
        )
        if chosen is None:
            return None
        path = chosen[0] if chosen[0].suffix == ".toml" else chosen[0].with_suffix(".toml")
        raw_assistant = record.call.raw.get("assistant")
        try:
            saved = await asyncio.to_thread(
                capture_scenario,
                conversation,
                path,
                assistant_id=record.call.assistant_id,
                assistant=raw_assistant if isinstance(raw_assistant, dict) else None,
                ended_reason=record.call.ended_reason,
                local_recording=self._recording_of(record.id, record.started_at),
            )
        except VoicePanelError as exc:
            self._feedback.fail(exc)
            return None
        self._settings.setValue(FOLDER_KEY, str(path.parent))
        self._settings.setValue(LAST_KEY, str(saved))
        self.update_actions()
        self._feedback.tell(
            f"Saved the conversation as {saved.name}.",
            "Edit its expectations, then run it with Ctrl+R.",
        )
        return saved

    def _recording_of(self, call_id: str, started_at: float) -> Path | None:
        """What this computer said in the call: the scenario run's own recording when the
        call was a scenario's, else the agent window's newest recording made during it."""
        run = self.last_result
        if run is not None and run.call_id == call_id:
            return next((r.path for r in run.recordings if r.label == "you"), None)
        return self._recording_since(started_at)

    def _recording_since(self, started_at: float) -> Path | None:
        """The local agent's newest recording made during the call, if one was made."""
        folder = Path(str(self._settings.value(RECORD_FOLDER_KEY, "") or ""))
        if not folder.is_dir():
            return None
        found = [
            p for p in folder.glob("agent-call-*/local.wav") if p.stat().st_mtime >= started_at - 1
        ]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
