"""Adapts one LocalAgent's plain callbacks to Qt signals at ~30 Hz.

The agent's callbacks run on the asyncio loop (qasync's, on the Qt main thread); they
only store the latest values here. The timer emits them, so meters repaint from the
newest level at a steady rate, never once per audio frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.local_agent import AgentLevels, AgentStatus, DeviceStatus, LocalAgent

FLUSH_INTERVAL_MS = 33


class AgentBridge(QObject):
    levels = Signal(object)  # AgentLevels, the latest
    status = Signal(object)  # AgentStatus
    turns = Signal(list)  # list[Turn]: all turns so far, when a new one closed
    errors = Signal(list)  # list[VoicePanelError] since the last flush
    devices = Signal(object)  # DeviceStatus
    peers = Signal(tuple)  # peer ids, when a new one appeared

    def __init__(self, agent: LocalAgent, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.agent = agent
        self._levels: AgentLevels | None = None
        self._status: AgentStatus | None = None
        self._devices: DeviceStatus | None = None
        self._peers: tuple[str, ...] | None = None
        self._turns_dirty = False
        self._errors: list[VoicePanelError] = []
        self._unsubscribe: list[Callable[[], None]] = [
            agent.on_levels.subscribe(self._keep_levels),
            agent.on_status.subscribe(self._keep_status),
            agent.on_turn.subscribe(self._mark_turns),
            agent.on_error.subscribe(self._errors.append),
            agent.on_devices.subscribe(self._keep_devices),
            agent.on_peers.subscribe(self._keep_peers),
        ]
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    def _keep_levels(self, levels: AgentLevels) -> None:
        self._levels = levels

    def _keep_status(self, status: AgentStatus) -> None:
        self._status = status

    def _keep_devices(self, devices: DeviceStatus) -> None:
        self._devices = devices

    def _keep_peers(self, peers: tuple[str, ...]) -> None:
        self._peers = peers

    def _mark_turns(self, _turn: Any) -> None:
        self._turns_dirty = True

    def flush(self) -> None:
        if self._status is not None:
            status, self._status = self._status, None
            self.status.emit(status)
        if self._devices is not None:
            devices, self._devices = self._devices, None
            self.devices.emit(devices)
        if self._peers is not None:
            peers, self._peers = self._peers, None
            self.peers.emit(peers)
        if self._errors:
            batch, self._errors[:] = list(self._errors), []
            self.errors.emit(batch)
        if self._turns_dirty:
            self._turns_dirty = False
            self.turns.emit(self.agent.turns)
        if self._levels is not None:
            levels, self._levels = self._levels, None
            self.levels.emit(levels)

    def close(self) -> None:
        self._timer.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
