"""Holds a window's open Workspace: opens a profile, switches to another, closes on quit;
and OpenProfiles, which keeps each profile in one window at a time."""

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


class OpenProfiles:
    """Which host (window) holds which profile. A profile opens in one window at a time:
    two workspaces on one profile would share its live events' port, its ledger of what
    it started and its names, and each would end the other's calls."""

    def __init__(self) -> None:
        self._holders: dict[str, WorkspaceHost] = {}

    def holder(self, name: str) -> WorkspaceHost | None:
        return self._holders.get(name)

    def claim(self, name: str, host: WorkspaceHost) -> bool:
        """True when ``host`` now holds ``name`` (or already did)."""
        return self._holders.setdefault(name, host) is host

    def release(self, name: str, host: WorkspaceHost) -> None:
        if self._holders.get(name) is host:
            del self._holders[name]


class WorkspaceHost(QObject):
    """At most one open workspace at a time; the window listens to its signals."""

    opening = Signal(object)  # Profile
    opened = Signal(object, object)  # Workspace, WorkspaceBridge
    closed = Signal()
    failed = Signal(object, object)  # Profile, error
    refused = Signal(object, object)  # Profile, the WorkspaceHost (window) that has it open

    def __init__(
        self,
        make_workspace: WorkspaceFactory,
        parent: QObject | None = None,
        *,
        open_profiles: OpenProfiles | None = None,
    ) -> None:
        super().__init__(parent)
        self._make = make_workspace
        self.open_profiles = open_profiles if open_profiles is not None else OpenProfiles()
        self.workspace: Workspace | None = None
        self.bridge: WorkspaceBridge | None = None
        self.profile: Profile | None = None
        self._lock = asyncio.Lock()

    def open_elsewhere(self, profile: Profile) -> WorkspaceHost | None:
        """The other host that has ``profile`` open, if any (``refused`` then says so)."""
        holder = self.open_profiles.holder(profile.name)
        if holder is None or holder is self:
            return None
        self.refused.emit(profile, holder)
        return holder

    async def open(self, profile: Profile, *, end_calls: bool = True) -> bool:
        """Closes the current workspace and opens ``profile``; False (and ``failed``) if
        it could not connect, False (and ``refused``) if another window has it open. The
        window stays usable either way."""
        if self.open_elsewhere(profile) is not None:
            return False
        # Claimed before anything awaits: a second window asking meanwhile is refused.
        self.open_profiles.claim(profile.name, self)
        opened = False
        try:
            async with self._lock:
                await self._close(end_calls)
                self.open_profiles.claim(profile.name, self)  # closing released the same name
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
                opened = True
                return True
        finally:
            if not opened:
                self.open_profiles.release(profile.name, self)

    async def close(self, *, end_calls: bool = True) -> None:
        async with self._lock:
            await self._close(end_calls)

    async def _close(self, end_calls: bool) -> None:
        workspace, self.workspace = self.workspace, None
        name = workspace.profile.name if workspace is not None else None
        if self.bridge is not None:
            self.bridge.detach()
            self.bridge.deleteLater()
            self.bridge = None
        if workspace is None or name is None:
            return
        self.closed.emit()
        try:
            await workspace.close(end_calls=end_calls)
        except Exception:
            log.exception("Closing the workspace failed")
        finally:
            # Only now: until its calls have ended and its port is free, it is still open.
            self.open_profiles.release(name, self)
