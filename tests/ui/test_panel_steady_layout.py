"""Dialogs hold still while a person types: an error line appearing or going away never
moves the fields or grows the dialog under the pointer."""

from __future__ import annotations

import asyncio
from typing import Any

from panel_helpers import find_top, until
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.dialogs.add_peer import AddPeerDialog
from voicepanel.ui.dialogs.create_room import CreateRoomDialog


def _shape(dialog: Any, *fields: Any) -> tuple[Any, ...]:
    return (dialog.size(), dialog.ok_button.geometry(), *(f.geometry() for f in fields))


async def test_the_add_peer_dialog_keeps_its_size_after_the_first_keystroke(
    panel: Any, qtbot: Any
) -> None:
    room = await panel.host.workspace.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    panel.act_add_peer.trigger()
    dialog = await until(lambda: find_top(AddPeerDialog), what="the add-peer dialog")
    await asyncio.sleep(0.05)
    before = _shape(dialog, dialog.metadata, dialog.subscribe_mode)

    qtbot.keyClicks(dialog.metadata, "{")
    await asyncio.sleep(0.05)
    assert "Not valid JSON" in dialog.error_text("metadata")
    assert _shape(dialog, dialog.metadata, dialog.subscribe_mode) == before

    qtbot.keyClicks(dialog.metadata, '"name": "Tester"}')
    await asyncio.sleep(0.05)
    assert dialog.error_text("metadata") == ""
    assert _shape(dialog, dialog.metadata, dialog.subscribe_mode) == before
    dialog.reject()


async def test_the_create_room_dialog_holds_still_while_fields_turn_invalid(
    panel: Any, qtbot: Any
) -> None:
    panel.act_new_room.trigger()
    dialog = await until(lambda: find_top(CreateRoomDialog), what="the create-room dialog")
    await asyncio.sleep(0.05)
    before = _shape(dialog, dialog.webhook_url, dialog.public)
    qtbot.keyClicks(dialog.max_peers, "x")
    qtbot.keyClicks(dialog.webhook_url, "ftp:/")
    await asyncio.sleep(0.05)
    assert dialog.error_text("maxPeers") and dialog.error_text("webhookUrl")
    assert _shape(dialog, dialog.webhook_url, dialog.public) == before
    qtbot.keyClick(dialog.max_peers, Qt.Key.Key_Backspace)
    await asyncio.sleep(0.05)
    assert _shape(dialog, dialog.webhook_url, dialog.public) == before
    dialog.reject()


async def test_the_details_keep_their_scroll_place_when_the_shown_peer_changes(
    panel: Any,
) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    metadata = {f"field{i}": "value" for i in range(30)}  # taller than the pane
    peer, _ = await ws.create_peer(room.id, metadata)
    panel.select_key((room.id, peer.id, None))
    bar = panel.details.verticalScrollBar()
    await until(lambda: bar.maximum() > 0, what="a scrollable pane")
    bar.setValue(bar.maximum())
    place = bar.value()

    ws.names.name_peer(peer.id, "Alice's phone")  # the pane is rebuilt with the name
    await until(
        lambda: "Alice's phone" in panel.details.widget().findChild(QLabel, "detailsName").text()
    )
    await asyncio.sleep(0.05)
    assert bar.value() == place
