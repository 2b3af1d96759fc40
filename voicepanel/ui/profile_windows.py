"""ProfileWindows: the app's main windows, one profile each, so staging and production sit
side by side. Opens a window (File > New window), closes one alone, quits them all.

Each window has its own WorkspaceHost and so its own workspace: notifier, journal, calls,
local agent and live events receiver. The hosts share one OpenProfiles, which keeps a
profile in one window at a time; asking for a profile open elsewhere brings that window
forward and says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtWidgets import QApplication

from voicepanel.ui.async_qt import run_dialog
from voicepanel.ui.placement import fit_on_screen

if TYPE_CHECKING:
    from voicepanel.session.profiles import Profile
    from voicepanel.session.workspace import Workspace
    from voicepanel.ui.main_window import MainWindow
    from voicepanel.ui.workspace_host import WorkspaceHost

log = logging.getLogger(__name__)

WindowFactory = Callable[[int], "MainWindow"]
"""Builds the ``n``-th window (from 1; its number keys its remembered geometry)."""

CASCADE = QPoint(48, 48)  # a new window without a remembered place opens this far from its opener


class ProfileWindows(QObject):
    """The open main windows; app.py quits when ``quit_requested`` fires."""

    quit_requested = Signal()
    window_opened = Signal(object)  # MainWindow, once its profile opened (or failed to)

    def __init__(self, make_window: WindowFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make = make_window
        self.windows: list[MainWindow] = []
        self._closing: set[WorkspaceHost] = set()  # windows closed alone, workspace closing
        self._tasks: set[asyncio.Future[object]] = set()  # a picker or a window opening
        self.first = self._add()

    # -- opening -----------------------------------------------------------------------------

    def _add(self) -> MainWindow:
        taken = {w.settings.window for w in self.windows}
        window = self._make(next(n for n in range(1, len(taken) + 2) if n not in taken))
        window.other_windows = lambda: len(self.windows) - 1 if window in self.windows else 0
        window.new_window_requested.connect(lambda: self._spawn(self.choose_and_open(window)))
        window.close_alone_requested.connect(
            lambda end_calls: self._spawn(self._close_alone(window, end_calls), cancel=False)
        )
        window.quit_all_requested.connect(lambda: self._spawn(self._quit_all(window)))
        window.quit_requested.connect(self.quit_requested)
        window.host.refused.connect(self._refused)
        # A profile added or renamed in one window shows in every window's switcher.
        window.host.opening.connect(lambda _profile: self._reload_switchers(but=window))
        self.windows.append(window)
        return window

    def _spawn(self, coro: Coroutine[object, object, object], *, cancel: bool = True) -> None:
        """Runs ``coro``; quitting cancels it unless it is a closing (``cancel=False``),
        which quitting waits for instead."""
        task = asyncio.ensure_future(coro)
        if cancel:
            self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[object]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("A window task failed", exc_info=error)
            self.show_error(error)

    async def choose_and_open(self, opener: MainWindow) -> MainWindow | None:
        """File > New window: the profile picker, then a window for the chosen profile."""
        from voicepanel.ui.dialogs.profiles import ProfilesDialog

        holder = opener.host.open_profiles.holder
        suggested = next((p for p in opener.profiles.profiles() if holder(p.name) is None), None)
        dialog = ProfilesDialog(
            opener.profiles,
            opener.secrets,
            suggested,
            opener,
            running_live=opener.running_live_events,
            is_open=lambda name: holder(name) is not None,
            for_new_window=True,
        )
        dialog.setObjectName("newWindowDialog")
        await run_dialog(dialog)
        chosen = dialog.connect_to
        dialog.deleteLater()
        opener.reload_profiles()
        if chosen is None:
            return None
        return await self.open_window(chosen, beside=opener)

    async def open_window(self, profile: Profile, *, beside: MainWindow) -> MainWindow | None:
        """A new window on ``profile``, or None when a window has it open already (that
        one comes forward instead)."""
        holder = beside.host.open_profiles.holder(profile.name)
        if holder is not None:
            self._refused(profile, holder)
            return None
        window = self._add()
        if window.settings.window_state("geometry") is None:
            window.move(beside.pos() + CASCADE)
            fit_on_screen(window)
        window.show()
        await window.open_profile(profile)
        self.window_opened.emit(window)
        return window

    def _reload_switchers(self, but: MainWindow) -> None:
        for window in self.windows:
            if window is not but:
                window.reload_profiles()

    def window_of(self, host: WorkspaceHost) -> MainWindow | None:
        return next((w for w in self.windows if w.host is host), None)

    def _refused(self, profile: Profile, holder: WorkspaceHost) -> None:
        window = self.window_of(holder)
        if window is None:
            return
        window.show()
        window.raise_()
        window.activateWindow()
        window.feedback.tell(
            f'"{profile.name}" is open in this window.',
            "A profile opens in one window at a time, so two windows never end each other's calls.",
        )

    # -- closing and quitting --------------------------------------------------------------

    async def _close_alone(self, window: MainWindow, end_calls: bool) -> None:
        """Closes one window of several: its workspace ends what it started; the others
        carry on."""
        if window not in self.windows:
            return
        self.windows.remove(window)
        window.save_layout()
        window.close_quietly()
        self._closing.add(window.host)
        try:
            await window.host.close(end_calls=end_calls)
        finally:
            self._closing.discard(window.host)
            window.deleteLater()
        if not self.windows:  # cannot happen through the UI; a safe end all the same
            self.quit_requested.emit()

    async def _quit_all(self, asking: MainWindow) -> None:
        """Quit from any window: each window with live calls asks about them first; one
        Cancel keeps every window open."""
        for window in sorted(self.windows, key=lambda w: w is not asking):
            window.raise_()
            if not await window.confirm_quit_all():
                return
        for window in list(self.windows):
            window.close_quietly()
        self.quit_requested.emit()

    def quit_unattended(self, why: str) -> None:
        """SIGTERM, SIGHUP or logout: every window quits with its saved choice."""
        for window in list(self.windows):
            window.quit_unattended(why)

    def save_layouts(self) -> None:
        for window in self.windows:
            window.save_layout()

    def workspaces(self) -> list[Workspace]:
        hosts = [w.host for w in self.windows] + list(self._closing)
        return [h.workspace for h in hosts if h.workspace is not None]

    async def close_all(self) -> None:
        """Closes every window's workspace at once (each with its window's quit choice),
        and waits for windows already closing."""
        for task in list(self._tasks):
            task.cancel()
        closing = [w.host.close(end_calls=w.end_calls_on_quit) for w in self.windows]
        closing += [host.close() for host in self._closing]  # waits on its lock: no second close
        await asyncio.gather(*closing, return_exceptions=True)

    def show_error(self, error: BaseException) -> None:
        """An error nobody caught, shown in the window in front (or the first)."""
        active = QApplication.activeWindow()
        window = next((w for w in self.windows if w is active), None) or (
            self.windows[0] if self.windows else None
        )
        if window is not None:
            window.banner.show_error(error)
