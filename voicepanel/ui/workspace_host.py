"""Holds the open Workspace: opens a profile, switches to another, closes on quit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from voicepanel.ui.qt_bridge import WorkspaceBridge

if TYPE_CHECKING:
    from voicepanel.session.profiles import Profile
    from voicepanel.session.workspace import Workspace

log = logging.getLogger(__name__)

WorkspaceFactory = Callable[["Profile"], "Workspace"]


class WorkspaceHost(QObject):
    """At most one open workspace at a time; the window listens to its signals."""

    opening = Signal(object)  # Profile
    opened = Signal(object, object)  # Workspace, WorkspaceBridge
    closed = Signal()
    failed = Signal(object, object)  # Profile, error

    def __init__(self, make_workspace: WorkspaceFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make = make_workspace
        self.workspace: Workspace | None = None
        self.bridge: WorkspaceBridge | None = None
        self.profile: Profile | None = None
        self._lock = asyncio.Lock()

    async def open(self, profile: Profile, *, end_calls: bool = True) -> bool:
        """Closes the current workspace and opens ``profile``; False (and ``failed``) if
        it could not connect. The window stays usable either way."""
        async with self._lock:
            await self._close(end_calls)
            self.profile = profile
            self.opening.emit(profile)
            try:
                workspace = self._make(profile)
                await workspace.open()
            except Exception as error:  # noqa: BLE001 - reported through `failed`
                log.warning("Could not open profile %s: %s", profile.name, error)
                self.failed.emit(profile, error)
                return False
            self.workspace = workspace
            self.bridge = WorkspaceBridge(workspace, self)
            self.opened.emit(workspace, self.bridge)
            return True

    async def close(self, *, end_calls: bool = True) -> None:
        async with self._lock:
            await self._close(end_calls)

    async def _close(self, end_calls: bool) -> None:
        workspace, self.workspace = self.workspace, None
        if self.bridge is not None:
            self.bridge.detach()
            self.bridge.deleteLater()
            self.bridge = None
        if workspace is None:
            return
        self.closed.emit()
        try:
            await workspace.close(end_calls=end_calls)
        except Exception:
            log.exception("Closing the workspace failed")
