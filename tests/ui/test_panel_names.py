"""Rooms and peers known by the names people give them: named at creation or with F2,
shown in the tree, the details, the dialogs, the confirmations, the call cards and the
notifications; the id stays one click away. The token dialog shows a QR code."""

from __future__ import annotations

import asyncio
from typing import Any

from panel_helpers import find_top, until
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QToolButton

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.dialogs.add_peer import AddPeerDialog
from voicepanel.ui.dialogs.create_room import CreateRoomDialog
from voicepanel.ui.dialogs.peer_token import PeerTokenDialog, join_details
from voicepanel.ui.qr_code import QUIET_ZONE, qr_modules


def _shown_qr(label: QLabel, expected_side: int) -> list[list[bool]]:
    """Reads the code back from the pixels: the centre of each module, dark or light."""
    image = label.pixmap().toImage()
    side = expected_side + 2 * QUIET_ZONE
    assert image.width() % side == 0, "whole device pixels per module: crisp"
    scale = image.width() // side

    def dark(x: int, y: int) -> bool:
        centre = (x + QUIET_ZONE) * scale + scale // 2, (y + QUIET_ZONE) * scale + scale // 2
        return image.pixelColor(*centre).lightness() < 128

    return [[dark(x, y) for x in range(expected_side)] for y in range(expected_side)]


def _is_qr_of(label: QLabel, text: str) -> bool:
    expected = qr_modules(text)
    return _shown_qr(label, len(expected)) == expected


async def _click_in(box_name: str, text: str) -> None:
    box = await until(lambda: find_top(QMessageBox, box_name), what=box_name)
    next(b for b in box.buttons() if b.text() == text).click()
    await until(lambda: find_top(QMessageBox, box_name) is None)


async def test_a_room_named_at_creation_is_called_by_its_name(panel: Any) -> None:
    panel.act_new_room.trigger()
    dialog = await until(lambda: find_top(CreateRoomDialog), what="the create-room dialog")
    dialog.fill(name="Demo room")
    dialog.ok_button.click()
    ws = panel.host.workspace
    room_id = await until(lambda: next(iter(ws.tree.rooms), None), what="the room")
    # The room reaches the tree as the server answers; the name is kept as the dialog closes.
    await until(lambda: ws.names.room(room_id) == "Demo room", what="the room's name")

    row = panel.tree_model.index_of((room_id, None, None))
    assert row.data() == "Demo room"
    assert room_id in row.data(Qt.ItemDataRole.ToolTipRole)
    name = await until(lambda: panel.details.findChild(QLabel, "detailsName"), what="details")
    assert name.text() == "Demo room"
    assert panel.details.findChild(QLabel, "roomIdText").text() == room_id
    panel.details.findChild(QToolButton, "roomIdCopy").click()
    assert QGuiApplication.clipboard().text() == room_id, "the id is one click away"

    panel.act_delete.trigger()
    box = await until(lambda: find_top(QMessageBox, "confirmBox"), what="the confirmation")
    assert "“Demo room”" in box.text() and room_id not in box.text()
    await _click_in("confirmBox", "Cancel")


async def test_a_peer_named_by_its_own_client_shows_that_name(panel: Any) -> None:
    """Fishjam's example apps join with ``peerMetadata: { displayName }``."""
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    peer, _ = await ws.create_peer(room.id, metadata={"displayName": "Bob's laptop"})
    unnamed, _ = await ws.create_peer(room.id)
    await until(
        lambda: panel.tree_model.index_of((room.id, peer.id, None)).isValid(), what="the peer"
    )
    assert panel.tree_model.index_of((room.id, peer.id, None)).data() == "Bob's laptop"
    assert panel.tree_model.index_of((room.id, unnamed.id, None)).data() != "Bob's laptop"


async def test_f2_renames_a_peer_and_the_new_name_shows_everywhere(panel: Any, qtbot: Any) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    peer, _ = await ws.create_peer(room.id)
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room.id, assistant_id=echo.id)
    panel._calls_changed()

    panel.select_key((room.id, peer.id, None))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_F2)
    editor = await until(lambda: panel.tree.findChild(QLineEdit), what="the name editor")
    qtbot.keyClicks(editor, "Alice's phone")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    await until(lambda: ws.names.peer(peer.id) == "Alice's phone", what="the name kept")
    assert panel.tree_model.index_of((room.id, peer.id, None)).data() == "Alice's phone"

    panel.select_key((room.id, None, None))
    panel.act_rename.trigger()  # the context menu's Rename…
    editor = await until(lambda: panel.tree.findChild(QLineEdit), what="the name editor")
    editor.setText("Demo room")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    await until(lambda: ws.names.room(room.id) == "Demo room", what="the room's name")

    card = panel.calls.cards[record.id]
    await until(lambda: card.where.text() == "Demo room / Echo", what=card.where.text())
    model = panel.notifications.model
    added = next(r for r in range(model.rowCount()) if model.index(r, 3).data().endswith(peer.id))
    assert model.index(added, 3).data() == f"Alice's phone · {peer.id}"
    assert model.index(added, 2).data() == f"Demo room · {room.id}"


async def test_the_token_dialog_shows_a_qr_code_and_asks_before_a_new_token(
    panel: Any,
) -> None:
    room = await panel.host.workspace.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    panel.act_add_peer.trigger()
    dialog = await until(lambda: find_top(AddPeerDialog), what="the add-peer dialog")
    dialog.name.setText("Alice's phone")
    dialog.ok_button.click()
    tokens = await until(lambda: find_top(PeerTokenDialog), what="the token dialog")
    assert tokens.windowTitle() == "Token for Alice's phone"
    peer = next(iter(panel.host.workspace.tree.rooms[room.id].peers.values()))
    assert "Alice's phone" in str(peer.metadata), "the name went into the metadata"

    assert _is_qr_of(tokens.qr_label, tokens.token)
    tokens.qr_content.setCurrentIndex(tokens.qr_content.findData("join"))
    fishjam = panel.host.workspace.fishjam_url
    assert _is_qr_of(tokens.qr_label, join_details(fishjam, tokens.token))
    tokens.qr_content.setCurrentIndex(tokens.qr_content.findData("token"))

    first = tokens.token
    tokens.refresh_button.click()
    await _click_in("confirmBox", "Cancel")
    await asyncio.sleep(0.2)
    assert tokens.token == first, "no new token without a yes"
    tokens.refresh_button.click()
    await _click_in("confirmBox", "Issue new token")
    await until(lambda: tokens.token != first, what="the new token")
    assert _is_qr_of(tokens.qr_label, tokens.token)
    tokens.reject()


async def test_filtering_notifications_by_a_room_or_peer_name_finds_theirs(panel: Any) -> None:
    ws = panel.host.workspace
    stage = await ws.create_room(RoomSpec())
    other = await ws.create_room(RoomSpec())
    alice, _ = await ws.create_peer(stage.id, None)
    await ws.create_peer(other.id, None)
    dock = panel.notifications
    await until(
        lambda: sum(n.kind == "PeerAdded" for n in dock.proxy.shown()) == 2, what="both peers"
    )
    ws.names.name_room(stage.id, "Demo stage")
    ws.names.name_peer(alice.id, "Alice's phone")

    def shown_rooms() -> set[str]:
        return {n.room_id for n in dock.proxy.shown()}

    dock.room_edit.setText("demo")  # part of the name, any case
    dock.apply_text_filters()
    assert shown_rooms() == {stage.id}
    dock.room_edit.setText(stage.id[:8])  # the id still works
    dock.apply_text_filters()
    assert shown_rooms() == {stage.id}
    dock.room_edit.clear()
    dock.peer_edit.setText("Alice")
    dock.apply_text_filters()
    assert {n.peer_id for n in dock.proxy.shown()} == {alice.id}
    dock.peer_edit.clear()
    dock.search_edit.setText("stage")  # the free-text search reads names too
    dock.apply_text_filters()
    assert shown_rooms() == {stage.id}

    ws.names.name_room(other.id, "Backstage")  # a new name matches at once
    await until(lambda: shown_rooms() == {stage.id, other.id}, what="the renamed room's rows")
