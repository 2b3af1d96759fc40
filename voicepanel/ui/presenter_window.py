"""Presenter mode: one room, large, for a projector. The room's name; the assistant (the
VAPI call in the room) and the local agent, each with a speaking state in colour and word
and a level meter; the live transcript in large type; the last turns' latency; the
OFFLINE SANDBOX badge on the sandbox profile. Names only, never ids; no docks.

It listens, never polls: the call's conversation through the workspace bridge (batched,
at most 50 redraws a second), the local agent's levels and turns through the agent
window's bridge (~30 Hz). Keys: Esc leaves, D switches dark and light (remembered), F11
toggles full screen.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from voicepanel.core.audio.meters import FLOOR_DBFS
from voicepanel.session.agent_status import AgentLevels, AgentStatus
from voicepanel.ui.placement import fit_on_screen
from voicepanel.ui.presenter_model import (
    LATENCY_TURNS,
    agent_activity,
    assistant_activity,
    recent_latencies,
)
from voicepanel.ui.presenter_parts import LatencyStrip, SpeakerTile, TranscriptPane
from voicepanel.ui.presenter_theme import PresenterTheme, base_size, palette, stylesheet

if TYPE_CHECKING:
    from voicepanel.session.calls import CallRecord
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.feedback import Feedback
    from voicepanel.ui.room_tree_model import Key
    from voicepanel.ui.settings import UiSettings
    from voicepanel.ui.workspace_host import WorkspaceHost

log = logging.getLogger(__name__)

REDRAW_INTERVAL_MS = 40
"""The call's side is drawn at most 25 times a second: at a glance from across a room that
is as live as the card's 50, for half the window's time in a flood of events."""
NOTHING_SELECTED = "Select a room in the rooms tree first, then open presenter mode."
NO_VAPI_KEY = "This profile has no VAPI key: add one in Profiles… to put an assistant here."
NO_CALL = "Start a call with an assistant in this room to see its words here."
NO_WORDS_YET = "The call is on: what the assistant and the caller say appears here."
NO_CALL_NOTE = "Add one with Room › Add VAPI assistant… (Ctrl+Shift+V)."
NO_AGENT_LEVEL = "Its level shows when you join this room as an agent (Ctrl+J)."
NO_AGENT = "Join this room as an agent (Room › Join as agent…, Ctrl+J) to talk from here."
UNNAMED = "Unnamed room"
UNNAMED_NOTE = "Give it a name with Rename (F2) in the rooms tree."


def open_presenter(
    parent: QWidget,
    host: WorkspaceHost,
    selected: Key | None,
    settings: UiSettings,
    feedback: Feedback,
) -> PresenterWindow | None:
    """Shows presenter mode for the selected room (or the only room there is), reusing
    an open presenter window; says what to select when there is nothing to show."""
    workspace = host.workspace
    if workspace is None:
        feedback.tell("Not connected.", "Choose a profile in the toolbar first.")
        return None
    room_id = selected[0] if selected else None
    if room_id is None and len(workspace.tree.rooms) == 1:
        room_id = next(iter(workspace.tree.rooms))
    if room_id is None or room_id not in workspace.tree.rooms:
        feedback.tell(NOTHING_SELECTED)
        return None
    window = parent.findChild(PresenterWindow)
    if window is None or window.workspace is not workspace:
        window = PresenterWindow(host, room_id, settings, parent)
        size = window.screen().availableGeometry().size()
        window.resize(size)
        fit_on_screen(window)
        window.show()
    else:
        window.present(room_id)
    window.raise_()
    window.activateWindow()
    return window


class PresenterWindow(QWidget):
    """One room of the open workspace, large. Closes when the workspace does."""

    def __init__(
        self,
        host: WorkspaceHost,
        room_id: str,
        settings: UiSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presenterWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        assert host.workspace is not None and host.bridge is not None
        self.workspace: Workspace = host.workspace
        self.settings = settings
        self.room_id = room_id
        self.theme = PresenterTheme(settings.presenter_theme)
        self._base = 0
        self._record: CallRecord | None = None
        self._agent_panel: Any = None  # the agent window of this room, when one is open
        self._agent_status: AgentStatus | None = None
        self._agent_levels: AgentLevels | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_INTERVAL_MS)
        self._redraw.timeout.connect(self._refresh_call)
        self._build()

        bridge = host.bridge
        bridge.conversations_changed.connect(self._conversations_changed)
        bridge.calls_changed.connect(self._refresh_call)
        bridge.tree_changed.connect(self._tree_changed)
        host.closed.connect(self.close)
        self._unsubscribe.append(self.workspace.names.on_change.subscribe(self._names_changed))
        self._apply_theme()
        self._show_agent()
        self.present(room_id)

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.room_name = QLabel()
        self.room_name.setObjectName("presenterRoom")
        self.room_name.setWordWrap(True)  # a long name takes two lines, never cut
        self.caption = QLabel()
        self.caption.setObjectName("presenterCaption")
        self.sandbox_badge = QLabel("OFFLINE SANDBOX")
        self.sandbox_badge.setObjectName("presenterSandbox")
        self.sandbox_badge.setToolTip(
            "Everything runs inside this app: no account, no cost, nothing leaves this computer."
        )
        self.sandbox_badge.setVisible(self.workspace.profile.is_sandbox)
        self.full_screen_button = self._button("Full screen (F11)", self.toggle_full_screen)
        self.theme_button = self._button("", self.toggle_theme)
        self.leave_button = self._button("Leave (Esc)", self.close)

        title = QVBoxLayout()
        title.setSpacing(0)
        title.addWidget(self.room_name)
        title.addWidget(self.caption)
        head = QHBoxLayout()
        head.addLayout(title, 1)
        head.addWidget(self.sandbox_badge, 0, Qt.AlignmentFlag.AlignTop)
        for button in (self.full_screen_button, self.theme_button, self.leave_button):
            head.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

        self.assistant_tile = SpeakerTile("assistant")
        self.agent_tile = SpeakerTile("local agent")
        self.agent_tile.name.setText("You · local agent")
        tiles = QHBoxLayout()
        tiles.addWidget(self.assistant_tile, 1)
        tiles.addWidget(self.agent_tile, 1)
        self.tiles = tiles

        self.transcript = TranscriptPane()
        self.latency = LatencyStrip(LATENCY_TURNS)

        self.column = QVBoxLayout(self)
        self.column.addLayout(head)
        self.column.addLayout(tiles)
        self.column.addWidget(self.transcript, 1)
        self.column.addWidget(self.latency)

        for keys, slot in (
            ("Esc", self.close),
            ("D", self.toggle_theme),
            ("F11", self.toggle_full_screen),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)

    def _button(self, text: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the window
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(slot)
        return button

    # -- what is shown -------------------------------------------------------------------

    def present(self, room_id: str) -> None:
        """Shows ``room_id`` (of the same workspace)."""
        self.room_id = room_id
        self._show_room_name()
        self._bind_agent()
        self._refresh_call()

    def _show_room_name(self) -> None:
        name = self.workspace.names.room(self.room_id)
        self.room_name.setText(name or UNNAMED)
        if self.room_id not in self.workspace.tree.rooms:
            self.caption.setText("This room is no longer on the server.")
        else:
            self.caption.setText(f"{self.workspace.profile.name} profile" if name else UNNAMED_NOTE)
        self.setWindowTitle(f"Presenter — {name or UNNAMED}")

    def _call_in_room(self) -> CallRecord | None:
        """The room's live call (the newest), else the last one that ended."""
        if not self.workspace.has_vapi:
            return None
        here = [r for r in self.workspace.calls.records if r.room_id == self.room_id]
        live = [r for r in here if r.live]
        return (live or here or [None])[-1]

    def _refresh_call(self) -> None:
        self._record = record = self._call_in_room()
        conversation = self.workspace.calls.conversation(record.id) if record else None
        tile = self.assistant_tile
        if record is None:
            tile.show_name("Assistant")
            tile.show_note(NO_CALL_NOTE if self.workspace.has_vapi else NO_VAPI_KEY)
        else:
            given = self.workspace.names.peer(record.peer_id) if record.peer_id else None
            tile.show_name(given or record.call.assistant_name or "Assistant")
            tile.show_note("" if self._agent_panel is not None else NO_AGENT_LEVEL)
        tile.show_activity(assistant_activity(record, conversation))
        if conversation is not None and (conversation.lines or conversation.partials):
            empty = ""
        elif not self.workspace.has_vapi:
            empty = NO_VAPI_KEY
        elif record is None:
            empty = NO_CALL
        else:
            empty = record.events_missing or NO_WORDS_YET
        self.transcript.show_lines(
            conversation.lines if conversation else [],
            list(conversation.partials.values()) if conversation else [],
            tile.name.text(),
            empty,
        )
        self._show_latency()

    def _show_latency(self) -> None:
        record = self._record
        conversation = self.workspace.calls.conversation(record.id) if record else None
        agent_turns: list[Any] = []
        if self._agent_panel is not None and (conversation is None or not conversation.turns):
            agent_turns = self._agent_panel.agent.turns  # a copy: only when it is all there is
        self.latency.show_turns(recent_latencies(conversation, agent_turns))

    def _conversations_changed(self, call_ids: frozenset[str]) -> None:
        mine = self._record is not None and self._record.id in call_ids
        if mine and not self._redraw.isActive():  # a restart would put it off
            self._redraw.start()

    def _tree_changed(self, room_ids: frozenset[str] | None) -> None:
        if room_ids is None or self.room_id in room_ids:
            self._show_room_name()
            self._bind_agent()  # an agent peer joining or leaving changes the room

    def _names_changed(self, _id: str) -> None:
        self._show_room_name()
        self._refresh_call()

    # -- the local agent -----------------------------------------------------------------

    def _bind_agent(self) -> None:
        """Follows the agent window open for this room, if any (it owns the agent)."""
        panel = _agent_panel_for(self.workspace, self.room_id)
        if panel is self._agent_panel:
            return
        if self._agent_panel is not None:
            self._connect_agent(self._agent_panel, connect=False)
        self._agent_panel = panel
        self._agent_levels = None
        self._agent_status = panel.agent.status if panel is not None else None
        if panel is not None:
            self._connect_agent(panel, connect=True)
        self._show_agent()
        self._refresh_call()

    def _connect_agent(self, panel: Any, *, connect: bool) -> None:
        pairs = (
            (panel.bridge.levels, self._agent_levels_changed),
            (panel.bridge.status, self._agent_status_changed),
            (panel.bridge.turns, self._agent_turns_changed),
            (panel.destroyed, self._agent_window_closed),
        )
        for signal, slot in pairs:
            if connect:
                signal.connect(slot)
            else:
                with contextlib.suppress(RuntimeError, TypeError):  # already gone
                    signal.disconnect(slot)

    def _agent_window_closed(self) -> None:
        self._agent_panel = None  # deleted: nothing to disconnect
        # Its entry in the agent windows' registry goes in the same signal: look after it.
        QTimer.singleShot(0, self, self._bind_agent)

    def _agent_turns_changed(self, _turns: list[Any]) -> None:
        self._show_latency()

    def _agent_status_changed(self, status: AgentStatus) -> None:
        self._agent_status = status
        self._show_agent()

    def _agent_levels_changed(self, levels: AgentLevels) -> None:
        self._agent_levels = levels
        self._show_agent()

    def _show_agent(self) -> None:
        levels = self._agent_levels
        self.agent_tile.show_note("" if self._agent_panel is not None else NO_AGENT)
        self.agent_tile.show_activity(agent_activity(self._agent_status, levels))
        if levels is None:
            self.agent_tile.show_level(FLOOR_DBFS, FLOOR_DBFS)
            self.assistant_tile.show_level(FLOOR_DBFS, FLOOR_DBFS)
            return
        self.agent_tile.show_level(levels.input.rms_dbfs, levels.input.peak_dbfs)
        peer_id = self._record.peer_id if self._record is not None else None
        heard = next(
            (s for s in levels.peers if s.peer_id == peer_id),
            next((s for s in levels.peers if s.kind == "vapi"), None),
        )
        if heard is None:
            self.assistant_tile.show_level(FLOOR_DBFS, FLOOR_DBFS)
        else:
            self.assistant_tile.show_level(heard.level.rms_dbfs, heard.level.peak_dbfs)

    # -- look ----------------------------------------------------------------------------

    def toggle_theme(self) -> None:
        self.theme = self.theme.other
        self.settings.presenter_theme = self.theme.value
        self._base = 0  # restyle everything
        self._apply_theme()
        self._refresh_call()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            full = self.isFullScreen()
            self.full_screen_button.setText("Window (F11)" if full else "Full screen (F11)")

    def _apply_theme(self) -> None:
        base = base_size(self.height())
        if base == self._base:
            return
        self._base = base
        self.setPalette(palette(self.theme))
        self.setStyleSheet(stylesheet(self.theme, base))
        self.theme_button.setText(f"{self.theme.other.value.title()} (D)")
        self.column.setContentsMargins(base, round(base * 0.8), base, base)
        self.column.setSpacing(round(base * 0.8))
        self.tiles.setSpacing(base)
        for tile in (self.assistant_tile, self.agent_tile):
            tile.apply_theme(self.theme, base)
        self.transcript.apply_theme(self.theme, base)
        self.latency.apply_theme(self.theme, base)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self._base and base_size(self.height()) != self._base:
            self._apply_theme()
            self._refresh_call()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        super().closeEvent(event)


def _agent_panel_for(workspace: Workspace, room_id: str) -> Any:
    try:
        module = importlib.import_module("voicepanel.ui.agent_panel")
    except ImportError:  # a build without the local agent
        return None
    return module.panel_for_room(workspace, room_id)
