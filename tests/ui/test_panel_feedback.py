"""The panel tells the tester what would otherwise only be in the log: an unreachable
webhook, rooms whose state is only the last known while the server is down, and a filter
that keeps the newest notification in view."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from panel_helpers import until
from PySide6.QtWidgets import QLabel

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.sandbox.server import Sandbox, SandboxConfig
from voicepanel.ui.notifications_dock import ALL_KINDS


def _details_label(panel: Any, name: str) -> QLabel | None:
    return panel.details.findChild(QLabel, name)


async def test_an_unreachable_webhook_is_shown_in_the_room_details(panel: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    room = await panel.host.workspace.create_room(
        RoomSpec(webhook_url=f"http://127.0.0.1:{port}/fishjam")
    )
    panel.select_key((room.id, None, None))
    label = await until(
        lambda: (w := _details_label(panel, "webhookReach")) and "not reachable" in w.text() and w,
        what="the webhook warning",
    )
    assert "refused" in label.text() and "notifications to it are lost" in label.text()


async def test_rooms_show_their_last_known_state_while_the_server_is_down(panel: Any) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    row = panel.tree_model.index_of((room.id, None, None))
    state = lambda: row.siblingAtColumn(2).data()  # noqa: E731
    assert state() == "0 peers"

    port = int(ws.sandbox.fishjam_url.rsplit(":", 1)[1])
    await ws.sandbox.stop()
    await until(lambda: panel.notifier.state == "RETRYING", 15, "the notifier lost")
    assert state() == "0 peers (last known)"
    details = " ".join(label.text() for label in panel.details.findChildren(QLabel))
    assert "unknown (last known: running)" in details and "● running" not in details

    revived = Sandbox(SandboxConfig(port=port))
    await revived.start()
    try:
        panel.notifier.reconnect_button.click()
        await until(lambda: panel.notifier.state == "LIVE", 20, "live again")
        await until(lambda: not panel.tree_model.stale, what="current again")
    finally:
        await revived.stop()


async def test_clearing_the_kind_filter_shows_the_newest_notification(panel: Any) -> None:
    ws = panel.host.workspace
    for _ in range(40):
        await ws.create_room(RoomSpec())
    dock = panel.notifications
    await until(lambda: dock.model.rowCount() >= 40, what="forty notifications")
    await asyncio.sleep(0.1)
    dock.kind_box.setCurrentText("RoomCreated")
    await asyncio.sleep(0.05)
    dock.kind_box.setCurrentText(ALL_KINDS)
    await asyncio.sleep(0.05)
    bar = dock.table.verticalScrollBar()
    assert bar.maximum() > 0, "more rows than fit"
    assert bar.value() == bar.maximum(), "the newest row is in view, not the first"

    dock.table.selectRow(3)  # a row the person chose stays in view instead
    dock.search_edit.setText("RoomCreated")
    dock.apply_text_filters()
    await asyncio.sleep(0.05)
    assert bar.value() < bar.maximum()
