"""The main window: rooms tree and details, VAPI calls, live notifications, status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from voicepanel.core.wording import plural
from voicepanel.ui.about import open_about
from voicepanel.ui.async_qt import run_dialog
from voicepanel.ui.busy import BusyIndicator, disabled_while
from voicepanel.ui.calls_panel import CallsDock
from voicepanel.ui.details_pane import DetailsPane
from voicepanel.ui.error_banner import ErrorBanner, describe
from voicepanel.ui.feedback import Feedback
from voicepanel.ui.first_run import FirstRunDialog
from voicepanel.ui.notifications_dock import NotificationsDock
from voicepanel.ui.notifier_indicator import NotifierIndicator
from voicepanel.ui.placement import fit_on_screen
from voicepanel.ui.quit_prompt import Leaving, ask_end_calls
from voicepanel.ui.recovery_dialog import RecoveryChoice, ask_about_leftovers
from voicepanel.ui.refresh_policy import RefreshBackoff
from voicepanel.ui.room_actions import RoomActions
from voicepanel.ui.room_tree_model import Key, NodeKeyRole, RoomTreeModel, metadata_name
from voicepanel.ui.rooms_pane import RoomsPane
from voicepanel.ui.scenario_dock import ScenarioDock
from voicepanel.ui.settings import UiSettings
from voicepanel.ui.state_style import Tone

if TYPE_CHECKING:
    from pathlib import Path

    from voicepanel.session.profiles import Profile, ProfileStore, SecretStore
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.qt_bridge import WorkspaceBridge
    from voicepanel.ui.workspace_host import WorkspaceHost

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1280, 800)  # shrunk to fit smaller screens
CALLS_DOCK_WIDTH = 446  # a call card's ids read whole beside the dock's scroll bar
SIDE_BY_SIDE_MIN_WIDTH = 1040
"""Rooms and details side by side need this much: the tree's names, types and states
(track ids are 32 characters) beside the details' ids and buttons."""
STACKED_MIN_HEIGHT = 520
"""Rooms above details need this much height. Narrower than side by side but this tall (a
window on half of a 1920x1080 screen: two profiles side by side), the details go under
the rooms so the tree keeps its full width; otherwise they stay beside it."""


class MainWindow(QMainWindow):
    """Composes the views; the RoomActions controller does what the actions ask."""

    quit_requested = Signal()  # the person confirmed quitting; app.py closes the workspace
    # With other windows open (ProfileWindows listens): a new one, closing only this one
    # (ending its calls or not), or quitting them all.
    new_window_requested = Signal()
    close_alone_requested = Signal(bool)
    quit_all_requested = Signal()
    leftovers_settled = Signal(object)  # RecoveryChoice, once the person answered (tests wait)

    def __init__(
        self,
        host: WorkspaceHost,
        profiles: ProfileStore,
        secrets: SecretStore,
        settings: UiSettings,
        log_folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("VoicePanel")
        self.setWindowIcon(_app_icon())
        self.host = host
        self.profiles = profiles
        self.secrets = secrets
        self.settings = settings
        self.log_folder = log_folder
        self.end_calls_on_quit = settings.end_calls_on_quit
        self._quitting = False
        self.other_windows: Callable[[], int] = lambda: 0  # how many other windows are open
        self.feedback = Feedback(self)
        self.busy = BusyIndicator(self)
        self.tree_model = RoomTreeModel(parent=self, peer_name=self._peer_name)
        self.tree_model.rename_failed.connect(lambda error: self.feedback.fail(error))
        self.backoff = RefreshBackoff()

        self.banner = ErrorBanner()
        self.feedback.error.connect(self.banner.show_error)
        self.feedback.note.connect(
            lambda m, h: self.banner.show_message(m, h, tone=Tone.INFO, timeout_ms=8000)
        )
        self.details = DetailsPane()
        self.rooms_pane = RoomsPane(self.tree_model)
        self.tree = self.rooms_pane.tree
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._show_details())
        self.notifications = NotificationsDock(self.feedback, self)
        self.calls = CallsDock(self)
        self.scenario = ScenarioDock(self._workspace, self.feedback, self)
        self.actions_ = RoomActions(
            self, self._workspace, self.selected_key, self.select_key, self.feedback, self.busy
        )
        self._build_actions()
        self._build_layout()
        self._build_status_bar()
        self._build_menus()

        self._refresh_timer = QTimer(self, singleShot=True)
        self._refresh_timer.timeout.connect(self._periodic_refresh)
        host.opening.connect(self._on_opening)
        host.opened.connect(self._on_opened)
        host.failed.connect(self._on_failed)
        host.closed.connect(self._on_closed)
        self._restore_layout()
        self._update_counts()
        self._update_actions()

    # -- building -------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Any,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_new_room = a("New room…", self.new_room, "Ctrl+N", "Create a room")
        self.act_add_peer = a("Add peer…", self.add_peer, "Ctrl+P", "Add a WebRTC peer to the room")
        self.act_add_vapi = a(
            "Add VAPI assistant…", self.add_vapi, "Ctrl+Shift+V", "Put a VAPI assistant in the room"
        )
        self.act_agent = a(
            "Join as agent…", self.actions_.join_as_agent, "Ctrl+J", "Join the room yourself"
        )
        self.act_subscribe = a("Subscribe…", self.subscribe, None, "Subscribe a manual peer")
        self.act_token = a("New token…", self.new_token, None, "Issue a fresh peer token")
        self.act_rename = a("Rename…", self.rename_selected, "F2", "Name the room or peer")
        # F2 in a text field is not a rename: the key works in the tree, the menus always.
        self.act_rename.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_delete = a(
            "Delete…",
            self.delete_selected,
            QKeySequence.StandardKey.Delete,
            "Delete the selected room or peer",
        )
        self.act_delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_refresh = a("Refresh", self.refresh, "F5", "Re-read every room now")
        self.act_export = a(
            "Export notifications…",
            lambda: self.notifications.export(True),
            "Ctrl+E",
            "Export the notifications shown",
        )
        self.act_search = a("Search notifications", self.focus_search, "Ctrl+F")
        self.act_presenter = a(
            "Presenter mode",
            self.open_presenter,
            "Ctrl+Shift+P",
            "Show the selected room large, for a projector",
        )
        self.act_profiles = a("Profiles…", self.open_profiles, "Ctrl+,", "Add or edit profiles")
        self.act_new_window = a(
            "New window…",
            self.new_window_requested.emit,
            "Ctrl+Shift+N",
            "Open another profile in a window of its own",
        )
        self.act_quit = a("Quit", self.quit_app, QKeySequence.StandardKey.Quit)
        if self.act_quit.shortcut().isEmpty():
            self.act_quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.act_about = a("About VoicePanel", lambda: open_about(self))
        self.act_logs = a("Open log folder", self.open_log_folder)
        self.act_welcome = a("Welcome screen", self.show_welcome)
        for action in (
            self.act_add_peer,
            self.act_add_vapi,
            self.act_agent,
            self.act_subscribe,
            self.act_token,
            self.act_rename,
            self.act_delete,
        ):
            self.tree.addAction(action)
        self.details_actions = {
            "room": [
                self.act_add_peer,
                self.act_add_vapi,
                self.act_agent,
                self.act_rename,
                self.act_delete,
            ],
            "peer": [self.act_token, self.act_subscribe, self.act_rename, self.act_delete],
        }
        self.details.set_actions(self.details_actions)

    def _build_layout(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addWidget(QLabel(" Profile "))
        self.profile_box = QComboBox()
        self.profile_box.setObjectName("profileSwitcher")
        self.profile_box.setMinimumContentsLength(14)
        self.profile_box.setToolTip("Switch to another profile")
        self.profile_box.activated.connect(self._profile_chosen)
        toolbar.addWidget(self.profile_box)
        toolbar.addAction(self.act_profiles)
        self.sandbox_badge = QLabel(" OFFLINE SANDBOX ")
        self.sandbox_badge.setObjectName("sandboxBadge")
        self.sandbox_badge.setToolTip(
            "Everything runs inside this app: no account, no cost, nothing leaves this computer."
        )
        # A state colour on white text reads on light and dark palettes alike.
        self.sandbox_badge.setStyleSheet(
            "QLabel#sandboxBadge { background: #d08a12; color: white; font-weight: bold;"
            " border-radius: 4px; padding: 2px 6px; margin-left: 8px; }"
        )
        # A widget in a toolbar is shown and hidden through its action, not directly.
        self.sandbox_badge_action = toolbar.addWidget(self.sandbox_badge)
        self.sandbox_badge_action.setVisible(False)
        toolbar.addSeparator()
        for action in (
            self.act_new_room,
            self.act_add_peer,
            self.act_add_vapi,
            self.act_agent,
            self.act_delete,
            self.act_refresh,
        ):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.rooms_pane.create_room_requested.connect(self.act_new_room.trigger)
        self.splitter.addWidget(self.rooms_pane)
        self.splitter.addWidget(self.details)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 6, 6, 0)
        column.setSpacing(6)
        column.addWidget(self.banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # The central area also changes when a dock is shown, hidden or resized.
        central.installEventFilter(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.notifications)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.calls)
        # Beside the notifications, shown when a scenario runs: the rooms and the call card
        # stay in full view while its turns fill in.
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.scenario)
        self.splitDockWidget(self.notifications, self.scenario, Qt.Orientation.Horizontal)
        self.scenario.hide()
        self.resizeDocks([self.notifications], [260], Qt.Orientation.Vertical)
        self.resizeDocks([self.calls], [CALLS_DOCK_WIDTH], Qt.Orientation.Horizontal)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.connection_label = QLabel("Not connected")
        self.connection_label.setObjectName("connectionLabel")
        self.counts_label = QLabel()
        self.counts_label.setObjectName("countsLabel")
        self.notifier = NotifierIndicator(self._reconnect, self.act_profiles.trigger)
        bar.addWidget(self.busy)
        bar.addWidget(self.connection_label)
        bar.addPermanentWidget(self.counts_label)
        bar.addPermanentWidget(self.notifier)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self.act_new_window)
        file.addAction(self.act_profiles)
        file.addAction(self.act_export)
        file.addSeparator()
        file.addAction(self.act_quit)
        room = bar.addMenu("&Room")
        for action in (self.act_new_room, self.act_add_peer, self.act_add_vapi, self.act_agent):
            room.addAction(action)
        room.addSeparator()
        for action in (self.act_token, self.act_subscribe, self.act_rename, self.act_delete):
            room.addAction(action)
        room.addSeparator()
        room.addAction(self.act_refresh)
        scenario = bar.addMenu("&Scenario")
        for action in (self.scenario.act_open, self.scenario.act_rerun, self.scenario.act_save):
            scenario.addAction(action)
        view = bar.addMenu("&View")
        view.addAction(self.notifications.toggleViewAction())
        view.addAction(self.calls.toggleViewAction())
        view.addAction(self.scenario.toggleViewAction())
        view.addAction(self.act_search)
        view.addAction(self.act_presenter)
        self.act_end_calls = QAction("End my VAPI calls when quitting", self, checkable=True)
        self.act_end_calls.setChecked(self.end_calls_on_quit)
        self.act_end_calls.toggled.connect(self._set_end_calls)
        view.addSeparator()
        view.addAction(self.act_end_calls)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_welcome)
        help_menu.addAction(self.act_logs)
        help_menu.addSeparator()
        help_menu.addAction(self.act_about)

    # -- workspace lifecycle ----------------------------------------------------------------

    def _workspace(self) -> Workspace | None:
        return self.host.workspace

    def reload_profiles(self, current: str | None = None) -> None:
        current = current or (self.host.profile.name if self.host.profile else None)
        self.profile_box.blockSignals(True)
        self.profile_box.clear()
        for profile in self.profiles.profiles():
            self.profile_box.addItem(profile.name, profile.name)
        if current is not None:
            self.profile_box.setCurrentIndex(max(0, self.profile_box.findData(current)))
        self.profile_box.blockSignals(False)

    def _on_opening(self, profile: Profile) -> None:
        self.reload_profiles(profile.name)
        self.setWindowTitle(f"VoicePanel — {profile.name}")
        self.sandbox_badge_action.setVisible(profile.is_sandbox)
        self.connection_label.setText(f"Connecting to {profile.name}…")
        self.notifier.show_connecting()
        self.busy.show()
        self.banner.hide()

    def _on_opened(self, workspace: Workspace, bridge: WorkspaceBridge) -> None:
        self.busy.hide()
        name = workspace.profile.name
        where = "built-in sandbox" if workspace.profile.is_sandbox else workspace.fishjam_url
        self.connection_label.setText(f"{name}: {where}")
        self.tree_model.set_tree(workspace.tree, workspace.names)
        self.tree_model.set_stale(workspace.notifier_status.state.name != "LIVE")
        workspace.names.on_change.subscribe(lambda _id: self._names_changed())
        workspace.webhooks.on_change.subscribe(lambda _url: self._show_details())
        self.calls.name_of = self._name_of
        self.notifications.model.name_of = self._name_of
        self.tree.expandAll()
        self.notifications.clear_view()  # the new workspace has its own journal
        self.notifications.set_journal_source(lambda: workspace.journal.path)
        self.calls.set_book(workspace.calls if workspace.has_vapi else None, workspace.live)
        bridge.notifications.connect(self.notifications.add_batch)
        bridge.tree_changed.connect(self._tree_changed)
        bridge.calls_changed.connect(self._calls_changed)
        bridge.conversations_changed.connect(self.calls.conversations_changed)
        bridge.notifier_status.connect(self.notifier.set_status)
        bridge.notifier_status.connect(self._notifier_changed)
        self.notifier.set_status(workspace.notifier_status)
        self._update_counts()
        self._update_actions()
        self._refresh_timer.start(int(self.backoff.reset() * 1000))
        self._offer_recovery(workspace)

    @asyncSlot(object)
    async def _offer_recovery(self, workspace: Workspace) -> None:
        """Asks about what an earlier run left running (found in the ledger)."""
        if workspace.recovery is None:
            return
        found = await workspace.recovery.find()
        if not found or workspace is not self._workspace() or self._quitting:
            return
        choice = await ask_about_leftovers(self, found)
        if workspace is not self._workspace():
            return
        if choice is RecoveryChoice.END_ALL:
            with self.busy.busy(tooltip="Ending what the last run left running…"):
                errors = await workspace.recovery.end_all(found)
            for error in errors:
                self.feedback.fail(error)
            if not errors:
                self.feedback.tell(f"Ended {len(found)} left from the last run.")
        elif choice is RecoveryChoice.KEEP:
            workspace.recovery.keep(found)
        self.leftovers_settled.emit(choice)

    def _on_failed(self, profile: Profile, error: BaseException) -> None:
        self.busy.hide()
        self.connection_label.setText(f"{profile.name}: not connected")
        self.notifier.show_off(*describe(error))
        self.feedback.fail(error)
        self._update_counts()
        self._update_actions()

    def _on_closed(self) -> None:
        self._refresh_timer.stop()
        self.tree_model.set_tree(None)
        self.calls.set_book(None)
        self.details.show_item("", None)
        self.connection_label.setText("Not connected")
        self.notifier.show_off()
        self._update_counts()
        self._update_actions()

    @asyncSlot(int)
    async def _profile_chosen(self, row: int) -> None:
        profile = self.profiles.get(self.profile_box.itemData(row) or "")
        current = self.host.profile
        if profile is None or (
            current is not None and current.name == profile.name and self.host.workspace
        ):
            return
        if not await self.switch_to(profile):
            self.reload_profiles()

    async def switch_to(self, profile: Profile) -> bool:
        """Leaves the current workspace (asking about live calls) and connects ``profile``;
        False when the person cancelled, it could not connect or another window has it."""
        if self.host.open_elsewhere(profile) is not None:
            return False
        end_calls = await self._ask_end_calls(Leaving.SWITCH)
        if end_calls is None:
            return False
        return await self.open_profile(profile, end_calls=end_calls)

    async def open_profile(self, profile: Profile, *, end_calls: bool | None = None) -> bool:
        """Connects ``profile``; app.py calls it at start."""
        ended = self.end_calls_on_quit if end_calls is None else end_calls
        ok = await self.host.open(profile, end_calls=ended)
        if ok:
            self.profiles.mark_used(profile.name)
        return ok

    def _reconnect(self) -> None:
        workspace = self._workspace()
        if workspace is not None:
            workspace.reconnect_notifier()

    # -- tree and details -----------------------------------------------------------------

    def _tree_changed(self, room_ids: frozenset[str] | None) -> None:
        self.tree_model.sync(room_ids)
        self._show_details()
        self._update_counts()
        self._update_actions()

    def _calls_changed(self) -> None:
        self.calls.sync()
        workspace = self._workspace()
        if workspace is not None and workspace.has_vapi:
            # VAPI peers are named after their assistant once the call is known.
            self.tree_model.sync({r.room_id for r in workspace.calls.records if r.room_id})
            self._show_details()

    def _notifier_changed(self, status: Any) -> None:
        # Without live notifications the tree shows the last known states, marked so.
        self.tree_model.set_stale(getattr(status.state, "name", "") != "LIVE")
        self._show_details()

    def _names_changed(self) -> None:
        self.tree_model.sync(None)
        self._show_details()
        self.calls.sync()
        self.notifications.table.viewport().update()
        self.notifications.proxy.names_changed()

    def _name_of(self, some_id: str) -> str | None:
        """The name people know a room or peer by, for any view that shows ids."""
        workspace = self._workspace()
        if workspace is None or not some_id:
            return None
        name = workspace.names.room(some_id)
        if name is None:
            peer = workspace.tree.find_peer(some_id)
            name = self._peer_name(peer) if peer is not None else workspace.names.peer(some_id)
        return name

    def _peer_name(self, peer: Any) -> str | None:
        workspace = self._workspace()
        given = workspace.names.peer(peer.id) if workspace is not None else None
        if given:
            return given
        if peer.type == "vapi" and workspace is not None and workspace.has_vapi:
            record = workspace.calls.for_peer(peer.id)
            if record is not None and record.call.assistant_name:
                return record.call.assistant_name
        return metadata_name(peer)

    def selected_key(self) -> Key | None:
        index = self.tree.currentIndex()
        return index.data(NodeKeyRole) if index.isValid() else None

    def select_key(self, key: Key) -> None:
        self.tree_model.sync({key[0]})
        index = self.tree_model.index_of(key)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.selectionModel().select(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.tree.scrollTo(index)

    def _show_details(self) -> None:
        key = self.selected_key()
        item = self.tree_model.lookup(key) if key else None
        if key is None or item is None:
            self.details.show_item("", None)
        else:
            kind = "track" if key[2] else "peer" if key[1] else "room"
            context: dict[str, Any] = {
                "room_id": key[0],
                "peer_id": key[1],
                "name": self._name_of(key[1] if kind == "peer" else key[0]) or "",
                "stale": self.tree_model.stale,
            }
            workspace = self._workspace()
            webhook = getattr(getattr(item, "config", None), "webhook_url", None)
            if kind == "room" and webhook and workspace is not None:
                workspace.webhooks.request(webhook)  # answers come back through on_change
                context["webhook"] = workspace.webhooks.known(webhook)
            workspace = self._workspace()
            if kind == "peer" and workspace is not None and workspace.has_vapi:
                record = workspace.calls.for_peer(key[1] or "")
                context["call_id"] = record.id if record else None
            self.details.show_item(kind, item, context)
        self._update_actions()

    def _update_counts(self) -> None:
        workspace = self._workspace()
        if workspace is None:
            self.rooms_pane.show_state(None, 0)
            self.counts_label.setText("")
            return
        self.rooms_pane.show_state(workspace.profile.name, len(workspace.tree.rooms))
        tree = workspace.tree
        rooms = len(tree.rooms)
        self.counts_label.setText(
            f"{plural(rooms, 'room')} · {plural(tree.total_peers, 'peer')} "
            f"({tree.total_connected:,} connected)"
        )

    def _update_actions(self) -> None:
        self.scenario.update_actions()
        connected = self._workspace() is not None
        key = self.selected_key() if connected else None
        has_room = key is not None
        is_peer = key is not None and key[1] is not None and key[2] is None
        self.act_new_room.setEnabled(connected)
        self.act_refresh.setEnabled(connected)
        for action in (self.act_add_peer, self.act_add_vapi, self.act_agent):
            action.setEnabled(has_room)
        self.act_delete.setEnabled(has_room and (key is None or key[2] is None))
        self.act_token.setEnabled(is_peer)
        self.act_subscribe.setEnabled(is_peer)
        self.act_rename.setEnabled(has_room and (key is None or key[2] is None))

    # -- actions --------------------------------------------------------------------------

    @asyncSlot()
    async def new_room(self) -> None:
        await self.actions_.new_room()

    @asyncSlot()
    async def add_peer(self) -> None:
        await self.actions_.add_peer()

    @asyncSlot()
    async def add_vapi(self) -> None:
        record = await self.actions_.add_vapi()
        if record is not None:
            self.calls.sync()
            self.calls.show()
            self.calls.raise_()

    @asyncSlot()
    async def subscribe(self) -> None:
        await self.actions_.subscribe()

    @asyncSlot()
    async def new_token(self) -> None:
        await self.actions_.new_token()

    def rename_selected(self) -> None:
        """Edits the selected room's or peer's name in place (Enter keeps it, Esc not)."""
        index = self.tree.currentIndex().siblingAtColumn(0)
        if index.isValid() and self.tree_model.flags(index) & Qt.ItemFlag.ItemIsEditable:
            self.tree.setFocus()
            self.tree.edit(index)

    @asyncSlot()
    async def delete_selected(self) -> None:
        await self.actions_.delete_selected()

    @asyncSlot()
    async def refresh(self) -> None:
        with disabled_while(self.act_refresh):
            await self.actions_.refresh()
        self._refresh_timer.start(int(self.backoff.reset() * 1000))

    @asyncSlot()
    async def _periodic_refresh(self) -> None:
        workspace = self._workspace()
        if workspace is None:
            return
        changed = await self.actions_.refresh(quiet=True)
        if workspace is self._workspace():
            self._refresh_timer.start(int(self.backoff.after_refresh(changed) * 1000))

    def open_presenter(self) -> None:
        from voicepanel.ui.presenter_window import open_presenter

        open_presenter(self, self.host, self.selected_key(), self.settings, self.feedback)

    def focus_search(self) -> None:
        self.notifications.show()
        self.notifications.raise_()
        self.notifications.focus_search()

    def open_log_folder(self) -> None:
        self.log_folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_folder)))

    @asyncSlot()
    async def open_profiles(self) -> None:
        from voicepanel.ui.dialogs.profiles import ProfilesDialog

        dialog = ProfilesDialog(
            self.profiles,
            self.secrets,
            self.host.profile,
            self,
            running_live=self.running_live_events,
            is_open=lambda name: self.host.open_profiles.holder(name) is not None,
        )
        await run_dialog(dialog)
        chosen = dialog.connect_to
        dialog.deleteLater()
        self.reload_profiles()
        if chosen is not None:
            await self.switch_to(chosen)

    def running_live_events(self, profile_name: str) -> Any:
        """The live events of ``profile_name``'s workspace, open in this window or another
        (for Test: its receiver already holds the port)."""
        host = self.host.open_profiles.holder(profile_name)
        workspace = host.workspace if host is not None else None
        if workspace is None or workspace.profile.name != profile_name:
            return None
        return workspace.live

    def show_welcome(self) -> FirstRunDialog:
        dialog = FirstRunDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_on_screen(dialog, center_on_parent=True)
        dialog.open()
        self.settings.first_run_done = True
        return dialog

    def show_welcome_once(self) -> None:
        if not self.settings.first_run_done:
            self.show_welcome()

    def _set_end_calls(self, value: bool) -> None:
        self.end_calls_on_quit = value
        self.settings.end_calls_on_quit = value

    # -- quitting -------------------------------------------------------------------------

    async def _ask_end_calls(self, leaving: Leaving) -> bool | None:
        return await ask_end_calls(self, self._workspace(), self.end_calls_on_quit, leaving)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.centralWidget() and event.type() == QEvent.Type.Resize:
            self._orient_splitter()
        return super().eventFilter(watched, event)

    def _orient_splitter(self) -> None:
        central = self.centralWidget()
        if central is None:
            return
        stacked = (
            central.width() < SIDE_BY_SIDE_MIN_WIDTH and central.height() >= STACKED_MIN_HEIGHT
        )
        wanted = Qt.Orientation.Vertical if stacked else Qt.Orientation.Horizontal
        if self.splitter.orientation() != wanted:
            self.splitter.setOrientation(wanted)
            # Stacked, the details get the larger part: their rows need the height more
            # than the tree's few rooms do.
            along = central.height() if stacked else central.width()
            rooms = along * 2 // 5 if stacked else along * 3 // 5
            self.splitter.setSizes([rooms, along - rooms])

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            self.save_layout()
            event.accept()
            return
        event.ignore()
        self._confirm_quit()

    def quit_unattended(self, why: str) -> None:
        """Quits with nobody to ask (SIGTERM, logout): the saved choice decides whether the
        calls end, no prompt opens, and app.py bounds how long closing may take."""
        log.info("Quitting without a prompt (%s)", why)
        self.end_calls_on_quit = self.settings.end_calls_on_quit
        self._quitting = True
        self.quit_requested.emit()

    @asyncSlot()
    async def _confirm_quit(self) -> None:
        """Closing the last window quits; closing one of several closes only its profile."""
        alone = self.other_windows() > 0
        end_calls = await self._ask_end_calls(Leaving.CLOSE if alone else Leaving.QUIT)
        if end_calls is None:
            return
        if alone and self.other_windows() > 0:
            self.close_alone_requested.emit(end_calls)
            return
        self.end_calls_on_quit = end_calls
        self._quitting = True
        self.close()
        self.quit_requested.emit()

    def quit_app(self) -> None:
        """Quit (Ctrl+Q): every window, not only this one."""
        if self.other_windows() > 0:
            self.quit_all_requested.emit()
        else:
            self.close()

    async def confirm_quit_all(self) -> bool:
        """Asks about this window's live calls before the app quits; False: cancelled."""
        end_calls = await self._ask_end_calls(Leaving.QUIT)
        if end_calls is None:
            return False
        self.end_calls_on_quit = end_calls
        return True

    def close_quietly(self) -> None:
        """Closes the window without asking: its workspace is closing, nothing is left to ask."""
        self._quitting = True
        self.close()

    # -- layout persistence ---------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.window_state("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(DEFAULT_SIZE)
            screen = self.screen().availableGeometry()
            self.move(screen.center() - self.rect().center())
        # Remembered on a larger monitor, or too big for this one: brought whole on screen.
        fit_on_screen(self)
        state = self.settings.window_state("state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.window_state("splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([470, 430])
        self._orient_splitter()  # the saved state may be for another width

    def save_layout(self) -> None:
        self.settings.set_window_state("geometry", self.saveGeometry())
        self.settings.set_window_state("state", self.saveState())
        self.settings.set_window_state("splitter", self.splitter.saveState())
        self.settings.sync()


def _app_icon() -> QIcon:
    from importlib.resources import files

    try:
        path = files("voicepanel").joinpath("resources/voicepanel.svg")
        if path.is_file():
            return QIcon(str(path))
    except (ModuleNotFoundError, OSError):
        pass
    return QIcon()
