"""Peers in the panel: add a WebRTC peer, copy its token, refresh it, subscribe manually."""

from __future__ import annotations

from typing import Any

from panel_helpers import find_top, until
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.dialogs.add_peer import AddPeerDialog
from voicepanel.ui.dialogs.peer_token import PeerTokenDialog
from voicepanel.ui.dialogs.subscribe import SubscribeDialog


async def _room(panel: Any) -> str:
    room = await panel.host.workspace.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    return room.id


async def test_adding_a_peer_shows_its_token_which_copies_and_refreshes(panel: Any) -> None:
    room_id = await _room(panel)
    panel.act_add_peer.trigger()
    dialog = await until(lambda: find_top(AddPeerDialog), what="the add-peer dialog")
    dialog.metadata.setPlainText('{"name": "Tester"')
    assert not dialog.ok_button.isEnabled()
    assert "Not valid JSON" in dialog.error_text("metadata")
    dialog.metadata.setPlainText('{"name": "Tester"}')
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()

    tokens = await until(lambda: find_top(PeerTokenDialog), what="the token view")
    token = tokens.token
    assert token
    peers = panel.host.workspace.tree.rooms[room_id].peers
    assert len(peers) == 1
    peer = next(iter(peers.values()))
    assert peer.metadata and "Tester" in str(peer.metadata)

    tokens.copy_button.click()
    assert QGuiApplication.clipboard().text() == token

    tokens.refresh_button.click()
    ask = await until(lambda: find_top(QMessageBox, "confirmBox"), what="asked first")
    next(b for b in ask.buttons() if b.text() == "Issue new token").click()
    await until(lambda: tokens.token != token, what="a new token")
    assert "New token issued" in tokens.status.text()
    tokens.reject()


async def test_a_manual_peer_can_be_subscribed_to_another_peer(panel: Any) -> None:
    room_id = await _room(panel)
    ws = panel.host.workspace
    source, _ = await ws.create_peer(room_id, {"name": "Source"}, "auto")
    listener, _ = await ws.create_peer(room_id, None, "manual")
    panel.select_key((room_id, listener.id, None))
    await until(lambda: panel.act_subscribe.isEnabled(), what="Subscribe enabled")
    panel.act_subscribe.trigger()
    dialog = await until(lambda: find_top(SubscribeDialog), what="the subscribe dialog")
    assert dialog.peer_box.currentData() == source.id
    dialog.ok_button.click()
    await until(lambda: "Subscribed" in panel.banner.text, what="the panel to confirm it")
    assert find_top(SubscribeDialog) is None
